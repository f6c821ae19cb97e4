package main

import (
	"slices"
	"strings"
)

// What the probes mean for the settings: the settings this service needs
// (whatever the current ones are), and the advice no setting gives.

// verdicts indexes the probes' results by id.
type verdicts map[string]Result

func (v verdicts) is(id, verdict string) bool { return v[id].Verdict == verdict }

// lacks reports whether the probe id got an answer other than supported
// (unknown and skipped aside: nothing is known then).
func (v verdicts) lacks(id string) bool { return v.is(id, refused) || v.is(id, wrong) }

// needs derives the settings the service needs, and advice, from the
// probes, and from the checks that failed over a checksum.
func needs(results, checked []Result, origin string) (settings, advice []Need) {
	v := verdicts{}
	for _, r := range results {
		v[r.ID] = r
	}
	settings = append(settings, conditionalNeeds(v)...)
	ns := checksumNeeds(v)
	if !slices.ContainsFunc(ns, func(n Need) bool { return n.Setting == "checksum_algorithm" }) {
		ns = append(ns, checkedChecksumNeeds(v, checked)...)
	}
	settings = append(settings, ns...)
	settings = append(settings, addressingNeeds(v)...)
	settings = append(settings, urlNeeds(v)...)
	advice = append(advice, checksumAdvice(v)...)
	advice = append(advice, featureAdvice(v, origin)...)
	if settings == nil {
		settings = []Need{}
	}
	if advice == nil {
		advice = []Need{}
	}
	return settings, advice
}

func conditionalNeeds(v verdicts) []Need {
	ids := []string{"if-none-match-put", "if-none-match-complete", "if-match"}
	const race = "; off, Put checks then writes, which concurrent writers can race"
	switch {
	case slices.ContainsFunc(ids, func(id string) bool { return v.is(id, wrong) }):
		return []Need{{"conditional_writes", "false", "the service ignores conditional writes: with them on, " +
			"Put never overwriting would overwrite" + race}}
	case v.lacks("if-match") && !v.lacks("if-none-match-put"):
		return []Need{{"conditional_writes", "false", "the service refuses If-Match: a large stream Put never overwriting " +
			"claims its name, then cannot replace its claim, and fails" + race}}
	case slices.ContainsFunc(ids, v.lacks):
		return []Need{{"conditional_writes", "false", "the service refuses conditional writes: Put falls back to " +
			"check-then-write after the first 501 of each Storage" + race}}
	}
	return nil
}

// checksumAlgorithms are the values of checksum_algorithm that make Put
// send a full-object checksum with large bodies, in the order the doctor
// recommends them: the default first.
var checksumAlgorithms = []string{"CRC64NVME", "CRC32C", "CRC32"}

func checksumNeeds(v verdicts) []Need {
	works := func(alg string) bool { // accepted; verified or not (that no setting changes)
		a := strings.ToLower(alg)
		return !v.is("checksum-"+a, refused) && !v.is("full-object-"+a, refused)
	}
	var ns []Need
	if v.lacks("checksum-mode") {
		ns = append(ns, Need{"client_config", `{"response_checksum_validation": "when_required"}`,
			"the service refuses GETs that ask for checksums (x-amz-checksum-mode), which the SDK sends to validate what it reads"})
	}
	if works("CRC64NVME") {
		return ns
	}
	for _, alg := range checksumAlgorithms[1:] {
		if works(alg) {
			return append(ns, Need{"checksum_algorithm", alg, "the service refuses CRC64NVME, the default, on a PUT or as a full-object multipart checksum"})
		}
	}
	return append(ns, Need{"checksum_algorithm", "none", "the service refuses the checksums S3 offers on a PUT or as full-object multipart checksums"})
}

// checkedChecksumNeeds is the setting for a storage whose own requests
// are refused over their checksum although the probes found an algorithm
// that works: the storage sends another one (the SDK's default CRC32,
// before checksum_algorithm). The answer names the header it refuses,
// as Backblaze B2's does.
func checkedChecksumNeeds(v verdicts, checked []Result) []Need {
	for _, c := range checked {
		msg := strings.ToLower(c.Detail)
		i := strings.Index(msg, "x-amz-checksum-")
		if c.Verdict != fails || i < 0 && !strings.Contains(msg, "x-amz-sdk-checksum-algorithm") {
			continue
		}
		named := "" // the algorithm the header names
		if i >= 0 {
			rest := msg[i+len("x-amz-checksum-"):]
			end := strings.IndexFunc(rest, func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') })
			named = rest[:max(end, 0)]
			if end < 0 {
				named = rest
			}
		}
		if named == "mode" {
			continue // a read asking for checksums: client_config's, above
		}
		for _, alg := range checksumAlgorithms {
			a := strings.ToLower(alg)
			if named != a && !v.is("checksum-"+a, refused) && !v.is("full-object-"+a, refused) {
				return []Need{{"checksum_algorithm", alg, c.Name + " is refused over the checksum it sends: " + c.Detail}}
			}
		}
		return []Need{{"checksum_algorithm", "none", c.Name + " is refused over the checksum it sends: " + c.Detail}}
	}
	return nil
}

func addressingNeeds(v verdicts) []Need {
	switch {
	case v.lacks("virtual-host") && v.is("path-style", supported):
		return []Need{{"addressing_style", "path", "the service does not take the bucket from the host name"}}
	case v.lacks("path-style") && v.is("virtual-host", supported):
		return []Need{{"addressing_style", "virtual", "the service does not take the bucket from the path"}}
	}
	return nil
}

func urlNeeds(v verdicts) []Need {
	var ns []Need
	if v.lacks("presigned-put") {
		ns = append(ns, Need{"querystring_auth", "false", "the service refuses presigned URLs: serve files from a public bucket " +
			"(or custom_domain), or through the Redirect middleware's proxy mode"})
	}
	switch {
	case v.is("public-read", refused):
		ns = append(ns, Need{"default_acl", "(unset)", "the service refuses canned ACLs: make the bucket public on the service's side instead"})
	case v.is("public-read", wrong) && !v.lacks("presigned-put"):
		ns = append(ns, Need{"querystring_auth", "true", "public-read objects are not readable anonymously: only signed URLs work"})
	}
	return ns
}

func checksumAdvice(v verdicts) []Need {
	var refusedAlgs, unverified []string
	for _, alg := range []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"} {
		a := strings.ToLower(alg)
		switch {
		case v.is("checksum-"+a, wrong) || v.is("full-object-"+a, wrong):
			unverified = append(unverified, alg)
		case v.lacks("checksum-"+a) || slices.Contains(checksumAlgorithms, alg) && v.lacks("full-object-"+a):
			refusedAlgs = append(refusedAlgs, alg)
		}
	}
	var ns []Need
	if len(refusedAlgs) > 0 {
		ns = append(ns, Need{Why: "checksum_algorithm " + strings.Join(refusedAlgs, ", ") + " would fail here: the service refuses " +
			map[bool]string{true: "it", false: "them"}[len(refusedAlgs) == 1]})
	}
	if len(unverified) > 0 {
		ns = append(ns, Need{Why: "the service accepts " + strings.Join(unverified, ", ") + " checksums that do not match the bytes: " +
			"it does not verify them, so no setting makes uploads checked end to end here"})
	}
	return ns
}

// featureAdvice says what breaks without the features the storage does
// not use on its own.
func featureAdvice(v verdicts, origin string) []Need {
	say := map[string]string{
		"presigned-post": "presigned POST does not work here: PolicyHandler and PresignPost cannot be used; " +
			"use PresignPut or UppyHandler (multipart) for browser uploads",
		"cors": "browsers on " + origin + " cannot upload straight to the bucket (PolicyHandler, UppyHandler): " +
			"give the bucket a CORS rule for that origin",
		"list-parts":          "ListParts does not work: Uppy cannot resume an upload (UppyHandler's ListParts route)",
		"copy-object":         "CopyObject does not work: server-side copies and moves (rclone, aws s3 mv) copy through the client",
		"list-objects-v1-url": "ListObjects version 1 with encoding-type=url does not work as S3's: s3cmd and older clients list wrongly",
		"list-objects-v2-url": "ListObjectsV2 with encoding-type=url does not work as S3's: awscli, boto3 and django-storages list wrongly",
		"clock-skew":          "set this machine's clock (NTP): " + v["clock-skew"].Detail,
	}
	var ns []Need
	for _, p := range probes {
		if why, ok := say[p.id]; ok && v.lacks(p.id) {
			ns = append(ns, Need{Why: why})
		}
	}
	return ns
}
