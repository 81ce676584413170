package series

import "time"

// Columns is a series' points as parallel lists, the GraphQL type SeriesColumns (bound in schema.graphqls). It
// keeps the computed points and builds a list only when the query selects it (gqlgen calls the method of each
// selected field). Lists of scalars are marshalled in a plain loop, where a list of objects costs gqlgen a
// goroutine and a field context per element.
type Columns struct {
	Points []Point
}

// column is one field of every point, in order.
func column[T any](points []Point, field func(p *Point) T) []T {
	out := make([]T, len(points))
	for i := range points {
		out[i] = field(&points[i])
	}
	return out
}

func (c Columns) Start() []time.Time {
	return column(c.Points, func(p *Point) time.Time { return p.Start })
}
func (c Columns) End() []time.Time {
	return column(c.Points, func(p *Point) time.Time { return p.End })
}
func (c Columns) Value() []float64 {
	return column(c.Points, func(p *Point) float64 { return p.Value })
}
func (c Columns) Count() []int    { return column(c.Points, func(p *Point) int { return int(p.Count) }) }
func (c Columns) Sum() []float64  { return column(c.Points, func(p *Point) float64 { return p.Sum }) }
func (c Columns) Min() []*float64 { return column(c.Points, func(p *Point) *float64 { return p.Min }) }
func (c Columns) Max() []*float64 { return column(c.Points, func(p *Point) *float64 { return p.Max }) }
func (c Columns) Avg() []*float64 { return column(c.Points, func(p *Point) *float64 { return p.Avg }) }
