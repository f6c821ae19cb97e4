// Command testsummary reads `go test -json` on standard input and prints
// what a plain `go test` prints (each package's result line, the output of
// failed tests, build errors), then the tests that were skipped, each with
// its reason, so that a green run says what it did not test. It exits 1
// when a test or a build failed, or when the input holds no test event.
//
//	go test -json ./... | go run ./scripts/testsummary
package main
