package server

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"unicode/utf8"
)

// maxLoggedString bounds every string value of a log line written on a request's behalf: operation names,
// headers, error texts that quote input. A longer one keeps its start and says how long it was.
const maxLoggedString = 256

// capLogger returns a logger whose string values are cut to maxLoggedString. Applied once here, it also
// covers the handlers server wires (Health Auto Export's header, resolver errors), so no call site can forget.
func capLogger(l *slog.Logger) *slog.Logger {
	if _, ok := l.Handler().(capHandler); ok {
		return l
	}
	return slog.New(capHandler{l.Handler()})
}

type capHandler struct{ next slog.Handler }

func (h capHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h capHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, capString(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(capAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h capHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	capped := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		capped[i] = capAttr(a)
	}
	return capHandler{h.next.WithAttrs(capped)}
}

func (h capHandler) WithGroup(name string) slog.Handler { return capHandler{h.next.WithGroup(name)} }

func capAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); len(s) > maxLoggedString {
			return slog.String(a.Key, capString(s))
		}
	case slog.KindGroup:
		group := v.Group()
		capped := make([]any, len(group))
		for i, g := range group {
			capped[i] = capAttr(g)
		}
		return slog.Group(a.Key, capped...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			if s := x.Error(); len(s) > maxLoggedString {
				return slog.String(a.Key, capString(s))
			}
		case []string:
			total := 0
			for _, s := range x {
				total += len(s)
			}
			if total > maxLoggedString {
				return slog.String(a.Key, capString(fmt.Sprint(x)))
			}
		case fmt.Stringer:
			if s := x.String(); len(s) > maxLoggedString {
				return slog.String(a.Key, capString(s))
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// capString keeps the first maxLoggedString bytes (not cutting a UTF-8 sequence) and the original length.
func capString(s string) string {
	if len(s) <= maxLoggedString {
		return s
	}
	cut := maxLoggedString
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
