package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3kit/s3kit/storage"
)

// s3kit doctor tells, before production, what an S3-compatible service
// does with each feature s3kit (and the browsers and tools around it)
// may use, and whether the current settings work with it. Everything it
// writes is under a prefix of its own, emptied at the end, also after a
// failure or Ctrl-C.
//
// Two parts:
//
//   - probes: one small request sequence per feature, on the storage's
//     own client and credentials (with checksums only where a probe asks
//     for one, so that each probe tests exactly one feature), answering
//     supported, refused (with S3's code) or wrong (accepted and not
//     honoured: the dangerous one);
//   - checks: the storage's own operations with the current settings
//     (Put, Put of a stream in parts, Put never overwriting, its URL,
//     ListDir, Delete).
//
// The exit status is 1 when a check fails — the current settings would
// fail with this service — or when a feature named by -require is not
// supported. A feature the storage does not use by itself (presigned
// POST, CORS, ListParts, ...) is reported, with what it breaks, without
// changing the exit status unless -require names it: the doctor cannot
// know which of them an application uses.

// Verdicts of the probes and the checks.
const (
	supported = "supported" // a probe: the feature works as S3's
	refused   = "refused"   // a probe: the service answers an error (its code is given)
	wrong     = "wrong"     // a probe or a check: accepted but not honoured
	unknown   = "unknown"   // a probe: the service could not be asked (a network error, a timeout)
	skipped   = "skipped"   // a probe or a check that does not apply
	checkOK   = "ok"        // a check: the storage's operation works
	fails     = "fails"     // a check: the storage's operation fails
)

// Result is one row of the doctor's table.
type Result struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Verdict string `json:"verdict"`
	Code    string `json:"code,omitempty"`   // S3's error code of a refusal or failure
	Status  int    `json:"status,omitempty"` // its HTTP status
	Detail  string `json:"detail,omitempty"` // what happened, and what the storage does then
}

// Need is a setting the service needs, or, without Setting, advice that
// no setting gives.
type Need struct {
	Setting string `json:"setting,omitempty"`
	Value   string `json:"value,omitempty"`
	Why     string `json:"why"`
}

// Report is the doctor's answer, as -json prints it.
type Report struct {
	Storage    string   `json:"storage"`
	Endpoint   string   `json:"endpoint"`
	Bucket     string   `json:"bucket"`
	Prefix     string   `json:"prefix"`
	Probes     []Result `json:"probes"`
	Checks     []Result `json:"checks"`
	Needs      []Need   `json:"needs"`
	Advice     []Need   `json:"advice"`
	Fail       bool     `json:"fail"`       // the exit status is 1
	Incomplete bool     `json:"incomplete"` // interrupted or out of time: the needs are from the probes that ran
	Left       int      `json:"left"`       // objects and uploads left under the prefix (0 unless cleanup failed)
	Problems   []string `json:"problems"`   // why Fail is set
}

// Bounds: each probe and check, the cleanup, and by default the whole run.
const (
	probeTimeout   = 20 * time.Second
	cleanupTimeout = 30 * time.Second
	doctorTimeout  = 2 * time.Minute
)

func runDoctor(ctx context.Context, c *cli, fl *flag.FlagSet, args []string) error {
	sf := addStorageFlags(fl, "default")
	asJSON := fl.Bool("json", false, "print the report as JSON, for machines")
	origin := fl.String("origin", "http://localhost:8000", "the browser `origin` whose CORS preflight is probed")
	timeout := fl.Duration("timeout", doctorTimeout, "bound on the probes and checks (the cleanup has its own 30 s)")
	require := fl.String("require", "", "comma-separated `probes` the application needs, exit 1 unless supported: "+probeIDs())
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 0 {
		return usagef("want no arguments, got %d", fl.NArg())
	}
	required, err := requiredProbes(*require)
	if err != nil {
		return err
	}
	st, err := c.open(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := newDoctor(st.media, *origin)
	if err != nil {
		return err
	}
	if err := d.reach(ctx); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "s3kit doctor: %s; probing under %s/ (emptied at the end)\n", st.where, d.prefix)
	rep := d.run(ctx, *timeout, required)
	rep.Storage = st.where
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = printReport(c.stdout, rep)
	}
	if err == nil && rep.Fail {
		err = fmt.Errorf("%s", strings.Join(rep.Problems, "; "))
	}
	return err
}

// requiredProbes parses -require.
func requiredProbes(list string) ([]string, error) {
	var ids []string
	for id := range strings.SplitSeq(list, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if !slices.ContainsFunc(probes, func(p probe) bool { return p.id == id }) {
			return nil, usagef("-require: unknown probe %q (have %s)", id, probeIDs())
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func probeIDs() string {
	ids := make([]string, len(probes))
	for i, p := range probes {
		ids[i] = p.id
	}
	return strings.Join(ids, ", ")
}

// doctor is one run: the storage, the clients it probes with, and what
// must be cleaned up.
type doctor struct {
	st       *storage.Storage
	client   *s3.Client     // the storage's client, computing checksums only when a call asks for one
	http     aws.HTTPClient // the storage's HTTP client, for presigned and anonymous requests
	bucket   string
	prefix   string // the probes' directory: ".s3kit-doctor-<random>"
	origin   string // of the CORS preflight
	endpoint string // the endpoint URL, "" for AWS's

	mu      sync.Mutex
	uploads map[string]string // open multipart uploads: id -> key
}

// newDoctor prepares a run on st.
func newDoctor(st *storage.Storage, origin string) (*doctor, error) {
	base, ok := st.Client().(*s3.Client)
	if !ok {
		return nil, errors.New("the storage has no *s3.Client to probe with")
	}
	o := base.Options()
	client := s3.New(o, func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	d := &doctor{st: st, client: client, http: o.HTTPClient, bucket: st.Bucket(), origin: origin,
		prefix: ".s3kit-doctor-" + strings.ToLower(rand.Text()[:10]), uploads: map[string]string{}}
	if d.http == nil {
		d.http = awshttp.NewBuildableClient()
	}
	if o.BaseEndpoint != nil {
		d.endpoint = *o.BaseEndpoint
	}
	return d, nil
}

// reach asks for the bucket once, so that a service out of reach or a
// missing bucket is one error, not a table of them. A refusal (403: a key
// allowed to write but not to list) is left to the probes.
func (d *doctor) reach(ctx context.Context) error {
	hctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	_, err := d.client.HeadBucket(hctx, &s3.HeadBucketInput{Bucket: aws.String(d.bucket)})
	code, status, _ := answer(err)
	switch {
	case err == nil || status == 403:
		return nil
	case status == 404 || code == "NotFound" || code == "NoSuchBucket":
		return fmt.Errorf("bucket %s: no such bucket at %s", d.bucket, d.describeEndpoint())
	}
	return fmt.Errorf("bucket %s at %s: %w", d.bucket, d.describeEndpoint(), err)
}

// name is the storage name of a probe's object; key is its S3 key.
func (d *doctor) name(s string) string { return d.prefix + "/" + s }

func (d *doctor) key(s string) string {
	k, err := d.st.Key(d.name(s))
	if err != nil {
		panic(err) // the names are the doctor's own
	}
	return k
}

// run probes, checks, decides and cleans up. The cleanup runs on a
// context that outlives ctx (Ctrl-C), with its own timeout.
func (d *doctor) run(ctx context.Context, timeout time.Duration, required []string) *Report {
	rep := &Report{Endpoint: d.endpoint, Bucket: d.bucket, Prefix: d.prefix + "/", Needs: []Need{}, Advice: []Need{}, Problems: []string{}}
	if rep.Endpoint == "" {
		rep.Endpoint = "AWS S3 (" + d.client.Options().Region + ")"
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		switch rep.Left = d.cleanup(cctx); {
		case rep.Left < 0:
			rep.Fail = true
			rep.Problems = append(rep.Problems, "the prefix "+d.prefix+"/ could not be listed after the cleanup")
		case rep.Left > 0:
			rep.Fail = true
			rep.Problems = append(rep.Problems, fmt.Sprintf("%d objects or uploads are left under %s/ (the cleanup failed)", rep.Left, d.prefix))
		}
	}()
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, p := range probes {
		rep.Probes = append(rep.Probes, d.runOne(rctx, p.id, p.name, p.run))
	}
	for _, c := range checks {
		rep.Checks = append(rep.Checks, d.runOne(rctx, c.id, c.name, c.run))
	}
	rep.Needs, rep.Advice = needs(rep.Probes, rep.Checks, d.origin)
	switch {
	case ctx.Err() != nil:
		rep.Fail, rep.Incomplete = true, true
		rep.Problems = append(rep.Problems, "interrupted")
	case rctx.Err() != nil:
		rep.Fail, rep.Incomplete = true, true
		rep.Problems = append(rep.Problems, fmt.Sprintf("out of time after %v (-timeout)", timeout))
	default:
		rep.decide(required)
	}
	return rep
}

// runOne runs a probe or a check under its own timeout; once the run is
// interrupted or out of time, the rest are skipped.
func (d *doctor) runOne(ctx context.Context, id, name string, fn func(context.Context, *doctor) Result) Result {
	if err := ctx.Err(); err != nil {
		return Result{ID: id, Name: name, Verdict: skipped, Detail: err.Error()}
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	r := fn(pctx, d)
	r.ID, r.Name = id, name
	return r
}

// decide sets Fail: a check that fails, does the wrong thing or could not
// be run (the service is out of reach), or a required probe that is not
// supported.
func (rep *Report) decide(required []string) {
	for _, c := range rep.Checks {
		if c.Verdict == fails || c.Verdict == wrong || c.Verdict == unknown {
			rep.Fail = true
			rep.Problems = append(rep.Problems, "with the current settings, "+c.Name+" "+c.Verdict)
		}
	}
	for _, p := range rep.Probes {
		if slices.Contains(required, p.ID) && p.Verdict != supported {
			rep.Fail = true
			rep.Problems = append(rep.Problems, "required: "+p.Name+" is "+p.Verdict)
		}
	}
}

// printReport writes the report as aligned plain text.
func printReport(w io.Writer, rep *Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "FEATURE (%s, bucket %s)\tRESULT\tDETAIL\n", rep.Endpoint, rep.Bucket)
	for _, r := range rep.Probes {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Verdict, rowDetail(r))
	}
	fmt.Fprintf(tw, "\t\t\nWITH THE CURRENT SETTINGS\tRESULT\tDETAIL\n")
	for _, r := range rep.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Verdict, rowDetail(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	switch {
	case rep.Incomplete:
		fmt.Fprintln(w, "Settings this service needs: not known, the run did not finish.")
	case len(rep.Needs) == 0:
		fmt.Fprintln(w, "Settings this service needs: none beyond the defaults.")
	default:
		fmt.Fprintln(w, "Settings this service needs:")
		for _, n := range rep.Needs {
			fmt.Fprintf(w, "  %s: %s  (%s)\n", n.Setting, n.Value, n.Why)
		}
	}
	for _, a := range rep.Advice {
		fmt.Fprintf(w, "Note: %s\n", a.Why)
	}
	switch {
	case rep.Fail:
		fmt.Fprintf(w, "Result: FAIL: %s.\n", strings.Join(rep.Problems, "; "))
	default:
		fmt.Fprintln(w, "Result: the current settings work with this service.")
	}
	if rep.Left < 0 {
		_, err := fmt.Fprintf(w, "Prefix %s: could not be listed after the cleanup.\n", rep.Prefix)
		return err
	}
	_, err := fmt.Fprintf(w, "Prefix %s: %d objects left.\n", rep.Prefix, rep.Left)
	return err
}

// rowDetail is the DETAIL cell: the code and status of a refusal, then
// the detail.
func rowDetail(r Result) string {
	var parts []string
	if r.Code != "" || r.Status != 0 {
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s %s", statusText(r.Status), r.Code)))
	}
	if r.Detail != "" {
		parts = append(parts, r.Detail)
	}
	return strings.Join(strings.Fields(strings.Join(parts, ": ")), " ") // the SDK's errors span lines
}

func statusText(status int) string {
	if status == 0 {
		return ""
	}
	return fmt.Sprint(status)
}

// answer reads an error's S3 code, HTTP status and message.
func answer(err error) (code string, status int, msg string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status, msg
}

// refusal turns an error into a probe's result: refused with S3's code
// when the service answered, unknown otherwise (a network error, a
// timeout).
func refusal(err error, what string) Result {
	code, status, msg := answer(err)
	if code == "" && status == 0 || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Result{Verdict: unknown, Detail: what + ": " + err.Error()}
	}
	if msg == "" {
		msg = what
	}
	return Result{Verdict: refused, Code: code, Status: status, Detail: msg}
}

// failure turns an error into a check's result.
func failure(err error, what string) Result {
	r := refusal(err, what)
	if r.Verdict == unknown {
		return r // not the service's answer: a network error, a timeout, Ctrl-C
	}
	r.Verdict = fails
	return r
}
