package faultproxy

import (
	"fmt"
	"io"
	"log"
	"slices"
	"strings"
	"time"
)

var discardLog = log.New(io.Discard, "", 0)

func (p *Proxy) count(op Op) {
	p.mu.Lock()
	p.requests[op]++
	p.mu.Unlock()
}

func (p *Proxy) countStatus(op Op, status int) {
	p.mu.Lock()
	p.statuses[opStatus{op, status}]++
	p.mu.Unlock()
}

func (p *Proxy) record(e Event) {
	e.Time = time.Now()
	p.mu.Lock()
	p.injected[opFault{e.Op, e.Fault}]++
	if len(p.events) == maxEvents {
		copy(p.events, p.events[1:])
		p.events = p.events[:maxEvents-1]
	}
	p.events = append(p.events, e)
	p.mu.Unlock()
	if p.logf != nil {
		p.logf("faultproxy: #%d %s %s/%s: %s (server status %d)", e.Seq, e.Op, e.Bucket, e.Key, e.Fault, e.Status)
	}
}

// Requests returns how many requests of op reached the proxy; op ""
// counts them all.
func (p *Proxy) Requests(op Op) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if op != "" {
		return p.requests[op]
	}
	var n int64
	for _, v := range p.requests {
		n += v
	}
	return n
}

// Injected returns how many times fault f was injected into requests of
// op; op "" counts every operation and f None every fault. Reset counts as
// the ResetRequest or ResetResponse it turned into.
func (p *Proxy) Injected(op Op, f Fault) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	for k, v := range p.injected {
		if (op == "" || k.op == op) && (f == None || k.f == f) {
			n += v
		}
	}
	return n
}

// Status returns how many answers of op with the given status the server
// sent through the proxy (lost and cut answers included, answers the
// proxy made up excluded); op "" counts every operation.
func (p *Proxy) Status(op Op, status int) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	for k, v := range p.statuses {
		if (op == "" || k.op == op) && k.status == status {
			n += v
		}
	}
	return n
}

// Events returns the injected faults in the order they were decided (the
// last 16384 of them).
func (p *Proxy) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events)
}

// ResetCounters sets every counter to zero and empties the event log;
// the rules keep their own counts (SetRules restarts them).
func (p *Proxy) ResetCounters() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.requests)
	clear(p.injected)
	clear(p.statuses)
	p.events = nil
}

// Summary returns one line: the requests per operation, the faults
// injected by kind and the server's answers by status, each sorted, such
// as "requests PutObject=12 UploadPart=40; faults lose-response=2
// reset-request=1; server 200=49 412=2".
func (p *Proxy) Summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	b.WriteString("requests")
	ops := make([]string, 0, len(p.requests))
	for op, n := range p.requests {
		ops = append(ops, fmt.Sprintf(" %s=%d", op, n))
	}
	slices.Sort(ops)
	b.WriteString(strings.Join(ops, ""))
	b.WriteString("; faults")
	byFault := map[Fault]int64{}
	for k, v := range p.injected {
		byFault[k.f] += v
	}
	if len(byFault) == 0 {
		b.WriteString(" none")
	}
	for f := None + 1; f < numFaults; f++ {
		if n := byFault[f]; n > 0 {
			fmt.Fprintf(&b, " %s=%d", f, n)
		}
	}
	b.WriteString("; server")
	byStatus := map[int]int64{}
	for k, v := range p.statuses {
		byStatus[k.status] += v
	}
	codes := make([]int, 0, len(byStatus))
	for c := range byStatus {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, " %d=%d", c, byStatus[c])
	}
	return b.String()
}
