package bench

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

func num(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && c != '-' && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// WriteMarkdown prints the report as the tables the README shows.
func WriteMarkdown(w io.Writer, rep *Report) {
	m := rep.Machine
	fmt.Fprintf(w, "## healthsync-bench\n\n%d CPUs (%s), %s MB RAM, %s, PostgreSQL %s; %s; run took %.0f s\n\n",
		m.CPUs, m.CPUModel, num(float64(m.MemoryMB)), m.Go, m.PostgreSQL, rep.Settings["database"], rep.Seconds)
	d := rep.Data
	fmt.Fprintf(w, "Data: %d users × %d days = %s items (%s quantity samples, %s sleep stages, %s workouts) in %d batches of ≤ %v, %s MB of JSON; concurrency %v.\n\n",
		d.Users, d.Days, num(float64(d.Items)), num(float64(d.Samples)), num(float64(d.Categories)), num(float64(d.Workouts)),
		d.Batches, rep.Settings["batch_size"], num(float64(d.BodyBytes)/1e6), rep.Settings["concurrency"])

	if v, ok := rep.Ratios["first_vs_server_copy"]; ok {
		fmt.Fprintf(w, "Headline: ingest ÷ server-side COPY = **%.2f** (quantity samples alone %.2f; per CPU second %.2f); ingest ÷ COPY streamed through lib/pq = %.2f",
			v, rep.Ratios["first_samples_vs_server_copy"], rep.Ratios["first_per_cpu_vs_server_copy"], rep.Ratios["first_vs_copy"])
	} else {
		fmt.Fprintf(w, "Headline: ingest ÷ COPY streamed through lib/pq = **%.2f**", rep.Ratios["first_vs_copy"])
	}
	fmt.Fprintf(w, "; replay ÷ first upload = %.2f (per CPU second %.2f); duplicates ÷ first upload = %.2f (per CPU second %.2f)",
		rep.Ratios["replay_vs_first"], rep.Ratios["replay_per_cpu_vs_first"], rep.Ratios["duplicates_vs_first"], rep.Ratios["duplicates_per_cpu_vs_first"])
	if n := len(rep.Growth); n > 1 {
		fmt.Fprintf(w, "; ingest at %s stored rows ÷ empty = %.2f", num(float64(rep.Growth[n-1].Rows)), rep.Growth[n-1].VsEmpty)
	}
	fmt.Fprint(w, ".\n\n")
	if busy := stolenShares(rep, stealWarnShare, "first_upload", "server_copy"); busy != "" {
		fmt.Fprintf(w, "**The host was busy during this run**: steal time (the hypervisor running another guest while ours had work) was %s. The ratios above compare passes that ran at different speeds of the machine; run again.\n\n", busy)
	}

	fmt.Fprintln(w, "### Ingest (items/s over the whole pass; batch latency in ms)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| path | items | items/s | ratio | latency p50 | p95 | p99 | min–max | CPU s Go / PG | items per CPU s |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	first := rep.Ingest["first_upload"].PerSecond
	copyRate := rep.Ingest["copy"].PerSecond
	serverRate := rep.Ingest["server_copy"].PerSecond
	rows := []struct{ key, label, ratioOf string }{
		{"server_copy", "server-side COPY FROM files of the stored rows (baseline)", "1 (server COPY)"},
		{"copy", "COPY FROM STDIN streamed through lib/pq, per batch (baseline)", "server"},
		{"insert_unnest", "INSERT … unnest … ON CONFLICT per batch (baseline)", "server"},
		{"first_upload", "**ingestBatch over HTTP, new samples**", "server"},
		{"replay", "replay: same batches, same keys", "first"},
		{"duplicates", "duplicates: same samples, new keys", "first"},
	}
	for _, r := range rows {
		p, ok := rep.Ingest[r.key]
		if !ok {
			continue
		}
		var rt string
		switch r.ratioOf {
		case "server":
			if serverRate == 0 {
				rt = fmt.Sprintf("%.2f × COPY", ratio(p.PerSecond, copyRate))
			} else if r.key == "copy" {
				rt = fmt.Sprintf("%.2f × server COPY", ratio(p.PerSecond, serverRate))
			} else {
				rt = fmt.Sprintf("%.2f × server COPY, %.2f × COPY", ratio(p.PerSecond, serverRate), ratio(p.PerSecond, copyRate))
			}
		case "first":
			rt = fmt.Sprintf("%.2f × first", ratio(p.PerSecond, first))
		default:
			rt = r.ratioOf
		}
		cpu, perCPU := "–", "–"
		if c := p.GoCPU + p.PostgresCPU; c > 0 {
			cpu, perCPU = fmt.Sprintf("%.1f / %.1f", p.GoCPU, p.PostgresCPU), num(float64(p.Items)/c)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s–%s | %s | %s |\n", r.label, num(float64(p.Items)), num(p.PerSecond), rt,
			ms(p.Latency.P50), ms(p.Latency.P95), ms(p.Latency.P99), ms(p.Latency.Min), ms(p.Latency.Max), cpu, perCPU)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Items are quantity samples + sleep stages + workouts for ingestBatch, samples rows for the baselines (quantity samples are",
		fmt.Sprintf("%.0f%% of the items).", 100*float64(d.Samples)/float64(max(d.Items, 1))),
		"CPU is user + system time during the pass: Go is the server process for ingestBatch (the benchmark process when the server runs in it) and the benchmark process, which encodes and sends the rows, for the baselines; PG is all of PostgreSQL's processes. On a shared machine items per CPU second moves less than items/s.")
	if all := stolenShares(rep, 0, "server_copy", "copy", "insert_unnest", "first_upload", "replay", "duplicates"); all != "" {
		fmt.Fprintf(w, "\nSteal time during each pass (/proc/stat, the whole machine; in a quiet run every pass is near 0 %%): %s.\n", all)
	}
	fmt.Fprintln(w)
	writeWAL(w, rep, rows)

	writeStatements(w, rep)

	mem := rep.Memory
	fmt.Fprintln(w, "### Memory (peak during each pass)")
	fmt.Fprintln(w)
	goCol := "Go process (server + client, in-process) peak RSS MB"
	if mem.ServerAlone {
		goCol = "server (`healthsync serve`, its own process) peak RSS MB"
	}
	fmt.Fprintf(w, "| pass | %s | PostgreSQL (all its processes) peak PSS MB |\n", goCol)
	fmt.Fprintln(w, "|---|---:|---:|")
	keys := make([]string, 0, len(mem.GoPeakMB))
	for k := range mem.GoPeakMB {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return order(keys[i]) < order(keys[j]) })
	for _, k := range keys {
		pg := "–"
		if v, ok := mem.PostgresPeakMB[k]; ok {
			pg = fmt.Sprintf("%.0f", v)
		}
		fmt.Fprintf(w, "| %s | %.0f | %s |\n", k, mem.GoPeakMB[k], pg)
	}
	note := "VmHWM reset before each pass (clear_refs)"
	if !mem.GoPeakExact {
		note = "VmHWM could not be reset: each value is the peak since the process started"
	}
	where := "The server runs inside the benchmark process, so the Go figure includes the HTTP client (bodies are read from files, one per worker)"
	if mem.ServerAlone {
		where = "The server is `healthsync serve` in a child process (the benchmark's client, generator and baselines are not in the figure)"
	}
	fmt.Fprintf(w, "\n%s; %s. Benchmark process over the whole run (generation and the baselines' rows, held in memory while they run): %.0f MB.\n\n", where, note, mem.GoRunPeakMB)

	fmt.Fprintf(w, "### Reads (ms over %v runs each, beside the naive SQL over raw samples in the same run)\n\n", rep.Settings["read_reps"])
	fmt.Fprintln(w, "| read | API p50 | API p95 | naive p50 | naive p95 | naive ÷ API (p50) | answer size |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range rep.Reads {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.1f× | %d |\n", r.Name, ms(r.API.P50), ms(r.API.P95), ms(r.Naive.P50), ms(r.Naive.P95), r.Speedup, r.Result)
	}
	fmt.Fprintf(w, "\nRead user: %v days of data. API times are end to end over HTTP (GraphQL, JSON, row-level security); the naive SQL runs directly on the pool as the connecting role and times only the query.\n\n", rep.Settings["read_user_days"])

	var rolling []Read
	for _, r := range rep.Reads {
		if r.Aligned != "" {
			rolling = append(rolling, r)
		}
	}
	if len(rolling) > 0 {
		fmt.Fprintln(w, "#### Rolling ranges (now − N days to now, now some minutes and seconds into a day) beside the aligned read of the same length, same run")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| rolling read | aligned read | rolling p50 / p95 | aligned p50 / p95 | rolling ÷ aligned p50 | p95 |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|")
		for _, r := range rolling {
			for _, a := range rep.Reads {
				if a.Name == r.Aligned {
					fmt.Fprintf(w, "| %s | %s | %s / %s | %s / %s | %.2f× | %.2f× |\n", r.Name, a.Name, ms(r.API.P50), ms(r.API.P95),
						ms(a.API.P50), ms(a.API.P95), r.VsAligned, r.VsAlignedP95)
				}
			}
		}
		fmt.Fprintln(w)
	}

	if len(rep.Growth) > 0 {
		fmt.Fprintln(w, "### Growth (the same-sized fresh upload with the samples table already holding N rows)")
		fmt.Fprintln(w)
		fmt.Fprintf(w, "PostgreSQL memory: %v. Items per CPU second count the server's and all of PostgreSQL's CPU time during the upload: on a shared machine that ratio moves less than items/s.\n\n", rep.Settings["pg_memory"])
		fmt.Fprintln(w, "| rows before | items | items/s | vs empty | latency p50 | p95 | CPU s Go / PG | items per CPU s | per CPU vs empty | prefill s | database MB |")
		fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		perCPU := func(p Phase) float64 {
			if c := p.GoCPU + p.PostgresCPU; c > 0 {
				return float64(p.Items) / c
			}
			return 0
		}
		for _, l := range rep.Growth {
			fmt.Fprintf(w, "| %s | %s | %s | %.2f | %s | %s | %.1f / %.1f | %s | %.2f | %.0f | %d |\n", num(float64(l.Rows)), num(float64(l.Phase.Items)), num(l.Phase.PerSecond),
				l.VsEmpty, ms(l.Phase.Latency.P50), ms(l.Phase.Latency.P95), l.Phase.GoCPU, l.Phase.PostgresCPU, num(perCPU(l.Phase)),
				ratio(perCPU(l.Phase), perCPU(rep.Growth[0].Phase)), l.PrefillSecs, l.DiskMB)
		}
		fmt.Fprintln(w)
		if len(rep.Growth[0].Reads) > 0 {
			fmt.Fprintln(w, "#### Reads at each growth level (API p50 / p95 ms, × the empty level)")
			fmt.Fprintln(w)
			fmt.Fprint(w, "| read |")
			for _, l := range rep.Growth {
				fmt.Fprintf(w, " %s rows |", num(float64(l.Rows)))
			}
			fmt.Fprintln(w)
			fmt.Fprint(w, "|---|")
			for range rep.Growth {
				fmt.Fprint(w, "---:|")
			}
			fmt.Fprintln(w)
			for i, rd := range rep.Growth[0].Reads {
				fmt.Fprintf(w, "| %s |", rd.Name)
				for _, l := range rep.Growth {
					if i < len(l.Reads) {
						g := l.Reads[i]
						fmt.Fprintf(w, " %s / %s (×%.2f / ×%.2f) |", ms(g.API.P50), ms(g.API.P95), g.P50VsEmpty, g.P95VsEmpty)
					}
				}
				fmt.Fprintln(w)
			}
			fmt.Fprintln(w)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w)
	}
}

func order(k string) string {
	switch k {
	case "first_upload":
		return "0"
	case "replay":
		return "1"
	case "duplicates":
		return "2"
	}
	return "3" + k
}

// writeStatements prints the first upload's statements by their share of PostgreSQL's time (--statements).
func writeStatements(w io.Writer, rep *Report) {
	if len(rep.Statements) == 0 {
		return
	}
	fmt.Fprintln(w, "### PostgreSQL's time per batch of the first upload, by statement (pg_stat_statements)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| statement | calls per batch | ms per batch (exec + plan) | plan ms total | share | rows | WAL MB |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for i, s := range rep.Statements {
		if i == 15 {
			break
		}
		q := strings.ReplaceAll(s.Query, "|", "\\|")
		fmt.Fprintf(w, "| `%s` | %.2f | %s | %s | %.1f%% | %s | %.1f |\n", q, s.CallsBatch, ms(s.MSPerBatch), ms(s.PlanMS),
			100*s.Share, num(float64(s.Rows)), s.WALBytes/1e6)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Execution and planning time inside PostgreSQL as pg_stat_statements counts it (wall time in the backend, lock waits included); the top 15, the JSON has all.",
		"With --statements the pass pays for the instrumentation, so compare its rates only with another --statements run.")
	fmt.Fprintln(w)
}

// writeWAL lists what each pass logged per item: an INSERT logs each heap row and each index entry, COPY a page
// of heap rows at once, and a page's first change after a checkpoint logs the whole page.
func writeWAL(w io.Writer, rep *Report, rows []struct{ key, label, ratioOf string }) {
	var lines []string
	for _, r := range rows {
		p, ok := rep.Ingest[r.key]
		if !ok || p.WAL == nil || p.Items == 0 {
			continue
		}
		n := float64(p.Items)
		lines = append(lines, fmt.Sprintf("| %s | %.0f | %.2f | %.1f | %.1f |", r.label, float64(p.WAL.Bytes)/n,
			float64(p.WAL.Records)/n, 1000*float64(p.WAL.FPI)/n, float64(p.WAL.Bytes)/1e6))
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "WAL written during each pass (pg_stat_wal, the whole server), per item:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| path | WAL bytes per item | WAL records per item | full-page images per 1,000 items | WAL MB |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
}

// stealWarnShare is the share of a pass's CPU capacity (seconds × CPUs) lost to steal time from which a run is
// reported as taken on a busy host: quiet runs measured 0–0.1 %, and a good run 2.1 % once.
const stealWarnShare = 0.05

// stolenShares lists the steal time of the passes named whose share of the pass's capacity (seconds × CPUs) is
// over minShare, as seconds and as that share; "" when none is.
func stolenShares(rep *Report, minShare float64, keys ...string) string {
	var parts []string
	for _, k := range keys {
		p, ok := rep.Ingest[k]
		if !ok || p.Seconds <= 0 || rep.Machine.CPUs <= 0 || p.Steal <= 0 {
			continue
		}
		if share := p.Steal / (p.Seconds * float64(rep.Machine.CPUs)); share >= minShare {
			parts = append(parts, fmt.Sprintf("%s %.2f s (%.1f %%)", k, p.Steal, 100*share))
		}
	}
	return strings.Join(parts, ", ")
}
