package handler

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// readJSON decodes one JSON value from the body of r into v, reading at
// most limit bytes (413 request_too_large past it; 400
// malformed_request for what is not the JSON expected). Unknown fields
// are ignored, as Companion ignores them, unless strict, which also
// refuses anything after the value. The one reader of the handlers' JSON
// requests: the memory of one is bounded by its limit.
func readJSON(r *http.Request, limit int64, v any, strict bool) error {
	lr := &io.LimitedReader{R: r.Body, N: limit + 1}
	dec := json.NewDecoder(lr)
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil && strict {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the JSON value")
		}
	}
	switch {
	case err == nil:
		return nil
	case lr.N == 0: // more than limit bytes
		return errRequestTooLarge(limit)
	}
	return newError(http.StatusBadRequest, CodeMalformed, "the request body is not the JSON expected: %s", jsonProblem(err))
}

// jsonProblem says what is wrong with a body without echoing it.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s must be a %s", te.Field, te.Type)
	}
	return "malformed"
}
