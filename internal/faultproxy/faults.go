package faultproxy

import (
	"fmt"
	"math"
	"net/http"
	"path"
	"sync"
	"time"
)

// Fault is what the proxy does to a request instead of forwarding it
// faithfully.
type Fault uint8

// The faults.
const (
	// None forwards the request and its answer untouched.
	None Fault = iota

	// LoseResponse forwards the whole request, reads the server's whole
	// answer (so a write is committed) and then closes the client's
	// connection without sending a byte of it: the client sees the
	// connection end (EOF) and cannot know whether the write happened.
	LoseResponse

	// ResetRequest forwards Rule.After bytes of the request body (0: half
	// of it, negative: none) and then drops both connections, the client's with a
	// TCP reset: the server sees a truncated body and stores nothing. A
	// request without a body is reset before it is forwarded.
	ResetRequest

	// ResetResponse forwards the request, sends the answer's status, its
	// headers and Rule.After bytes of its body (0: half, negative: none),
	// and then closes the client's connection: the client reads those
	// bytes and then an unexpected EOF (the close is orderly, since a TCP
	// reset would make the client's kernel drop bytes not yet read). An
	// answer without a body (or with After negative) is not sent at all
	// and the connection is reset: the client gets nothing, as with
	// LoseResponse, but by a reset.
	ResetResponse

	// Reset is ResetRequest for a request that has a body and
	// ResetResponse for the others (a GetObject is cut mid-body).
	Reset

	// SlowDown answers 503 with an S3 SlowDown error document without
	// forwarding the request (its body is read and discarded first, so
	// that the client reads the answer rather than a broken pipe).
	SlowDown

	// InternalError answers 500 with an S3 InternalError document without
	// forwarding the request, like SlowDown.
	InternalError

	// Latency waits Rule.Delay (honouring the request's context) and then
	// goes on with the next rule that fires, or forwards the request.
	Latency

	// Corrupt forwards the request with one byte of its payload flipped
	// (XOR 0x01), the byte at offset Rule.After (0: the middle of the
	// payload, negative: the first byte), and sends the answer back. In an
	// aws-chunked body (the SDK's trailer checksums, SigV4 streaming) the
	// offset counts payload bytes only: the chunk framing and the trailer
	// stay intact, so that what catches the change is what checks the
	// payload. A request without a body is forwarded untouched.
	//
	// Which check that is depends on the signing. A payload signed with
	// its SHA-256 (x-amz-content-sha256 holding the hash, the SDK's
	// default over plain HTTP) is refused by the signature
	// (XAmzContentSHA256Mismatch); one sent UNSIGNED-PAYLOAD or
	// STREAMING-UNSIGNED-PAYLOAD-TRAILER (the SDK's default over HTTPS:
	// see Options.TLS) only by its x-amz-checksum-* checksum (BadDigest,
	// XAmzContentChecksumMismatch), or not at all when it has none; a
	// STREAMING-AWS4-HMAC-SHA256-PAYLOAD chunk by its chunk signature.
	Corrupt

	// CorruptResponse forwards the request and sends the answer back
	// with one byte of its body flipped, at Rule.After as for Corrupt: a
	// GetObject whose bytes changed on the way.
	CorruptResponse

	numFaults
)

var faultNames = [...]string{
	None: "none", LoseResponse: "lose-response", ResetRequest: "reset-request", ResetResponse: "reset-response",
	Reset: "reset", SlowDown: "503-slowdown", InternalError: "500-internal", Latency: "latency",
	Corrupt: "corrupt", CorruptResponse: "corrupt-response",
}

// String returns the fault's name, such as "lose-response".
func (f Fault) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", uint8(f))
}

// Rule says which requests get a fault. A request matches when its
// operation is Op (any when empty), its key matches Key and Match, if set,
// returns true. Among the matching requests, counted from 1 in the order
// they reach the proxy, the rule fires on
//
//   - the Nth one, when Nth > 0;
//   - else each of the First ones, when First > 0;
//   - else each one with probability Rate, when Rate > 0: the decision for
//     the n-th matching request is a hash of Options.Seed, the rule's index
//     and n, so that a run with the same seed and the same order of
//     requests injects the same faults;
//   - else every one.
//
// and at most Max times in all when Max > 0. A rule counts the matching
// requests that reach it: those on which no earlier rule but a Latency
// rule fired.
type Rule struct {
	Op    Op
	Key   string // a path.Match pattern on the object key; empty matches any key
	Match func(req Request, r *http.Request) bool

	Nth   int
	First int
	Rate  float64
	Max   int

	Fault Fault
	Delay time.Duration // Latency: how long to wait
	After int64         // ResetRequest, ResetResponse: body bytes sent before the reset; 0: half; negative: none. Corrupt, CorruptResponse: the payload offset of the byte flipped; 0: the middle; negative: the first
}

// rule is a Rule with its counters.
type rule struct {
	Rule
	index   uint64
	mu      sync.Mutex
	matched int
	fired   int
}

func (r *rule) matches(req Request, hr *http.Request) bool {
	if r.Op != "" && r.Op != req.Op {
		return false
	}
	if r.Key != "" {
		if ok, _ := path.Match(r.Key, req.Key); !ok {
			return false
		}
	}
	return r.Match == nil || r.Match(req, hr)
}

// fires counts a matching request and reports whether the rule fires on it.
func (r *rule) fires(seed uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.matched++
	n := r.matched
	if r.Max > 0 && r.fired >= r.Max {
		return false
	}
	var ok bool
	switch {
	case r.Nth > 0:
		ok = n == r.Nth
	case r.First > 0:
		ok = n <= r.First
	case r.Rate > 0:
		ok = unitHash(seed, r.index, uint64(n)) < r.Rate
	default:
		ok = true
	}
	if ok {
		r.fired++
	}
	return ok
}

// unitHash maps (seed, rule, n) to [0, 1) with splitmix64.
func unitHash(seed, rule, n uint64) float64 {
	x := seed ^ rule*0x9e3779b97f4a7c15 ^ n*0xbf58476d1ce4e5b9
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

func validRule(i int, r Rule) error {
	switch {
	case r.Fault == None || r.Fault >= numFaults:
		return fmt.Errorf("faultproxy: rule %d: fault %v is not one of the faults", i, r.Fault)
	case r.Nth < 0 || r.First < 0 || r.Max < 0:
		return fmt.Errorf("faultproxy: rule %d: Nth, First and Max must not be negative", i)
	case math.IsNaN(r.Rate) || r.Rate < 0 || r.Rate > 1:
		return fmt.Errorf("faultproxy: rule %d: Rate %v is not within [0, 1]", i, r.Rate)
	case r.Fault == Latency && r.Delay <= 0:
		return fmt.Errorf("faultproxy: rule %d: Latency needs a positive Delay", i)
	}
	if r.Key != "" {
		if _, err := path.Match(r.Key, ""); err != nil {
			return fmt.Errorf("faultproxy: rule %d: Key %q: %v", i, r.Key, err)
		}
	}
	return nil
}
