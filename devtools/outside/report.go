package main

import (
	"fmt"
	"io"
	"math"
)

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round(a/b, 2)
}

// ratios are the figures the issue asks for, each against a baseline of the same run.
func (r *run) ratios() {
	hs := r.rep.Healthsync.Phases
	up := hs["upload"]
	set := func(name string, a, b float64) {
		if v := ratio(a, b); v != 0 {
			r.rep.Ratios[name] = v
		}
	}
	set("healthsync_vs_server_copy", up.PerSecond, hs["server_copy"].PerSecond)
	set("healthsync_vs_server_copy_per_cpu", up.PerCPU, hs["server_copy"].PerCPU)
	set("replay_vs_upload", hs["replay"].PerSecond, up.PerSecond)
	set("duplicates_vs_upload", hs["duplicates"].PerSecond, up.PerSecond)
	if r.rep.PostGraphile == nil {
		return
	}
	pg := r.rep.PostGraphile.Phases
	set("postgraphile_vs_its_server_copy", pg["upload"].PerSecond, pg["server_copy"].PerSecond)
	set("postgraphile_vs_its_server_copy_per_cpu", pg["upload"].PerCPU, pg["server_copy"].PerCPU)
	set("postgraphile_duplicates_vs_upload", pg["duplicates"].PerSecond, pg["upload"].PerSecond)
	set("healthsync_vs_postgraphile", up.PerSecond, pg["upload"].PerSecond)
	set("healthsync_vs_postgraphile_per_cpu", up.PerCPU, pg["upload"].PerCPU)
}

// writeText prints the passes and the ratios.
func writeText(w io.Writer, o Options, rep *Report) {
	fmt.Fprintf(w, "outside client: %d heart-rate and step samples of %d phones in %d batches of up to %d (%.1f MB of JSON), %d uploads in flight, bodies built once",
		rep.Samples, o.Users, rep.Batches, o.BatchSize, float64(rep.BodyBytes)/1e6, o.Concurrency)
	if rep.PGMemory != "" {
		fmt.Fprintf(w, "; private PostgreSQL's memory: %s", rep.PGMemory)
	}
	fmt.Fprint(w, "\n\n")
	fmt.Fprintln(w, "| server | pass | samples/s | seconds | server CPU s | PostgreSQL CPU s | samples per CPU s | steal s | batch p50 / p95 ms | server peak RSS MB |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	rows := func(name string, s *Side, passes ...string) {
		for _, pass := range passes {
			p, ok := s.Phases[pass]
			if !ok {
				continue
			}
			rss := "–"
			if p.PeakRSSMB > 0 {
				rss = fmt.Sprintf("%.0f", p.PeakRSSMB)
			}
			fmt.Fprintf(w, "| %s | %s | %.0f | %.2f | %.2f | %.2f | %.0f | %.2f | %.0f / %.0f | %s |\n", name, pass, p.PerSecond, p.Seconds,
				p.ServerCPU, p.PostgresCPU, p.PerCPU, p.Steal, p.Latency.P50, p.Latency.P95, rss)
		}
	}
	rows("healthsync", &rep.Healthsync, "warmup", "upload", "replay", "duplicates", "server_copy")
	if rep.PostGraphile != nil {
		rows("PostGraphile 5.1.5", rep.PostGraphile, "warmup", "upload", "duplicates", "server_copy")
	}
	fmt.Fprintln(w)
	rt := rep.Ratios
	fmt.Fprintf(w, "healthsync upload ÷ server-side COPY into a twin of samples: %.2f (samples/s), %.2f (per CPU second)\n",
		rt["healthsync_vs_server_copy"], rt["healthsync_vs_server_copy_per_cpu"])
	fmt.Fprintf(w, "healthsync duplicates ÷ upload: %.2f; replay ÷ upload: %.2f\n", rt["duplicates_vs_upload"], rt["replay_vs_upload"])
	peak := 0.0
	for _, p := range rep.Healthsync.Phases {
		peak = max(peak, p.PeakRSSMB)
	}
	fmt.Fprintf(w, "healthsync server peak RSS: %.0f MB\n", peak)
	if rep.PostGraphile != nil {
		fmt.Fprintf(w, "PostGraphile upload ÷ server-side COPY into its twin: %.2f (samples/s), %.2f (per CPU second)\n",
			rt["postgraphile_vs_its_server_copy"], rt["postgraphile_vs_its_server_copy_per_cpu"])
		fmt.Fprintf(w, "healthsync ÷ PostGraphile: %.2f (samples/s), %.2f (per CPU second)\n",
			rt["healthsync_vs_postgraphile"], rt["healthsync_vs_postgraphile_per_cpu"])
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}
