package s3local_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"testing"
)

// onDiskStore is the test that runs the protocol tests again on the disk
// store; start gives them a DiskStore under it.
const onDiskStore = "TestOnDiskStore"

// protocolTests are the tests of the protocol that run on the memory store
// (as themselves) and on the disk store (under TestOnDiskStore): every
// test that starts a server with start and no store of its own.
var protocolTests = []protocolTest{
	{"TestCORS", TestCORS}, {"TestAnonymousAccess", TestAnonymousAccess},
	{"TestSigV4SDK", TestSigV4SDK}, {"TestPresignedURLs", TestPresignedURLs},
	{"TestPutGetRoundTrip", TestPutGetRoundTrip}, {"TestDefaultContentType", TestDefaultContentType},
	{"TestBuckets", TestBuckets}, {"TestAutoCreateBucket", TestAutoCreateBucket},
	{"TestVirtualHostStyle", TestVirtualHostStyle}, {"TestNotImplemented", TestNotImplemented},
	{"TestFaultInjection", TestFaultInjection}, {"TestIntrospection", TestIntrospection},
	{"TestConcurrentAccess", TestConcurrentAccess}, {"TestSDKChecksums", TestSDKChecksums},
	{"TestRawAWSChunked", TestRawAWSChunked}, {"TestRawChecksums", TestRawChecksums},
	{"TestListObjectsV2Paging", TestListObjectsV2Paging}, {"TestListObjectsDetails", TestListObjectsDetails},
	{"TestUploaderMultipart", TestUploaderMultipart}, {"TestUploaderFailureAborts", TestUploaderFailureAborts},
	{"TestMultipartErrors", TestMultipartErrors}, {"TestMultipartListings", TestMultipartListings},
	{"TestMultipartFullObjectChecksum", TestMultipartFullObjectChecksum},
	{"TestRanges", TestRanges}, {"TestConditionalReads", TestConditionalReads},
	{"TestMissingObject", TestMissingObject}, {"TestResponseOverrides", TestResponseOverrides},
	{"TestConditionalWrites", TestConditionalWrites}, {"TestDeleteObjects", TestDeleteObjects},
	{"TestPutObjectLimits", TestPutObjectLimits}, {"TestPartNumberGet", TestPartNumberGet},
	{"TestPostPolicyConditions", TestPostPolicyConditions}, {"TestPostResponses", TestPostResponses},
	{"TestPresignPostEndToEnd", TestPresignPostEndToEnd},
}

type protocolTest struct {
	name string
	fn   func(*testing.T)
}

// TestOnDiskStore runs the protocol tests on the disk store. They run in
// parallel, each with a directory of its own, to keep the package's run
// time near what one store takes.
func TestOnDiskStore(t *testing.T) {
	for _, pt := range protocolTests {
		t.Run(pt.name, func(t *testing.T) {
			t.Parallel()
			pt.fn(t)
		})
	}
}

// TestProtocolTestsListed: every test that calls start without a store is
// in protocolTests, so that none runs on the memory store only.
func TestProtocolTestsListed(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || len(fn.Name.Name) < 5 || fn.Name.Name[:4] != "Test" || !callsStart(fn) {
				continue
			}
			found++
			if !slices.ContainsFunc(protocolTests, func(p protocolTest) bool { return p.name == fn.Name.Name }) {
				t.Errorf("%s (%s) starts a server with start but is not in protocolTests: it would not run on the disk store", fn.Name.Name, name)
			}
		}
	}
	if found != len(protocolTests) {
		t.Errorf("found %d tests that call start, %d listed", found, len(protocolTests))
	}
}

// callsStart reports whether fn calls start with an options literal that
// names no Store (a variable is taken as naming one).
func callsStart(fn *ast.FuncDecl) bool {
	calls := false
	ast.Inspect(fn, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "start" && len(call.Args) == 2 && !namesStore(call.Args[1]) {
				calls = true
			}
		}
		return true
	})
	return calls
}

// namesStore reports whether an options literal sets Store.
func namesStore(e ast.Expr) bool {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return true // a variable: decided elsewhere
	}
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Store" {
				return true
			}
		}
	}
	return false
}
