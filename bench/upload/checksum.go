package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// checksumCost measures what integrity costs an upload through the
// handler: -size MiB in each mode with checksum_algorithm none (the
// baseline), with the default CRC64NVME, and with CRC64NVME and the
// file's SHA-256 given in its digest field (so the storage computes the
// content's SHA-256 and checks it). Each round runs every case once, in
// an order that rotates from round to round, against servers that stay
// up; a case's ratios are its time and its CPU time (this process, the
// client, and the server's) over the baseline's of the same mode and
// round, and the medians of -runs rounds are printed. On a machine that
// other work shares, the CPU ratio is the steadier of the two.
func checksumCost(ctx context.Context) {
	size := *sizeMiB * mib
	sum := sha256.New()
	io.Copy(sum, newGen(size))
	digest := hex.EncodeToString(sum.Sum(nil))
	type bcase struct{ mode, alg, digest, label string }
	var cases []bcase
	for _, m := range strings.Split(*modes, ",") {
		cases = append(cases, bcase{m, "none", "", "none"}, bcase{m, "CRC64NVME", "", "CRC64NVME"},
			bcase{m, "CRC64NVME", digest, "CRC64NVME + SHA-256 checked"})
	}
	servers := make([]*server, len(cases))
	for i, c := range cases {
		servers[i] = startServerWith(c.mode, c.alg)
	}
	times := make([][]time.Duration, len(cases))
	cpu := make([][]time.Duration, len(cases))
	ratios := make([][]float64, len(cases))
	cpuRatios := make([][]float64, len(cases))
	self := os.Getpid()
	for round := range *runs {
		got := make([]time.Duration, len(cases))
		used := make([]time.Duration, len(cases))
		for k := range cases {
			i := (k + round) % len(cases)
			pid := servers[i].cmd.Process.Pid
			c0, s0 := procCPU(self), procCPU(pid)
			name, d := postDigest(servers[i].url, size, cases[i].digest)
			used[i] = procCPU(self) - c0 + procCPU(pid) - s0
			cpu[i] = append(cpu[i], used[i])
			times[i], got[i] = append(times[i], d), d
			delStored(ctx, cases[i].mode, name)
		}
		for i, c := range cases {
			base := i - i%3 // the mode's "none" case, this round
			ratios[i] = append(ratios[i], got[i].Seconds()/got[base].Seconds())
			cpuRatios[i] = append(cpuRatios[i], used[i].Seconds()/used[base].Seconds())
			fmt.Printf("round %d: %-6s %-28s %.1f MiB/s (%.3f of none's time)\n", round, c.mode, c.label, mibps(size, got[i]), ratios[i][round])
		}
	}
	for _, s := range servers {
		s.stop()
	}
	fmt.Printf("\n| handler mode | checksums | MiB/s (median of %d, %d MiB) | time / none's (median of the rounds) | CPU s, client + server (median) | CPU / none's (median) |\n|---|---|---|---|---|---|\n", *runs, *sizeMiB)
	for i, c := range cases {
		fmt.Printf("| %s | %s | %.1f | %.3f | %.2f | %.3f |\n", c.mode, c.label, mibps(size, median(times[i])), medianF(ratios[i]), median(cpu[i]).Seconds(), medianF(cpuRatios[i]))
	}
}
