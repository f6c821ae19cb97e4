package s3local_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// onDiskStore is the test that runs the protocol tests again on the disk
// store; start gives them a DiskStore under it.
const onDiskStore = "TestOnDiskStore"

// protocolTests are the tests of the protocol that run on the memory store
// (as themselves) and on the disk store (under TestOnDiskStore): every
// test that starts a server with start and no store of its own.
var protocolTests = []protocolTest{
	{name: "TestCORS", fn: TestCORS}, {name: "TestAnonymousAccess", fn: TestAnonymousAccess},
	{name: "TestSigV4SDK", fn: TestSigV4SDK}, {name: "TestPresignedURLs", fn: TestPresignedURLs},
	{name: "TestPutGetRoundTrip", fn: TestPutGetRoundTrip}, {name: "TestDefaultContentType", fn: TestDefaultContentType},
	{name: "TestBuckets", fn: TestBuckets}, {name: "TestAutoCreateBucket", fn: TestAutoCreateBucket},
	{name: "TestVirtualHostStyle", fn: TestVirtualHostStyle}, {name: "TestNotImplemented", fn: TestNotImplemented},
	{name: "TestFaultInjection", fn: TestFaultInjection}, {name: "TestIntrospection", fn: TestIntrospection},
	{name: "TestConcurrentAccess", fn: TestConcurrentAccess}, {name: "TestSDKChecksums", fn: TestSDKChecksums},
	{name: "TestRawAWSChunked", fn: TestRawAWSChunked}, {name: "TestRawChecksums", fn: TestRawChecksums},
	{name: "TestListObjectsV2Paging", fn: TestListObjectsV2Paging}, {name: "TestListObjectsDetails", fn: TestListObjectsDetails},
	{name: "TestUploaderMultipart", fn: TestUploaderMultipart}, {name: "TestUploaderFailureAborts", fn: TestUploaderFailureAborts},
	{name: "TestMultipartErrors", fn: TestMultipartErrors}, {name: "TestMultipartListings", fn: TestMultipartListings},
	{name: "TestMultipartFullObjectChecksum", fn: TestMultipartFullObjectChecksum},
	{name: "TestRanges", fn: TestRanges}, {name: "TestConditionalReads", fn: TestConditionalReads},
	{name: "TestMissingObject", fn: TestMissingObject}, {name: "TestResponseOverrides", fn: TestResponseOverrides},
	{name: "TestConditionalWrites", fn: TestConditionalWrites}, {name: "TestDeleteObjects", fn: TestDeleteObjects},
	{name: "TestPutObjectLimits", fn: TestPutObjectLimits}, {name: "TestPartNumberGet", fn: TestPartNumberGet},
	{name: "TestPostPolicyConditions", fn: TestPostPolicyConditions}, {name: "TestPostResponses", fn: TestPostResponses},
	{name: "TestPresignPostEndToEnd", fn: TestPresignPostEndToEnd},
	{name: "TestUnsignedHeadersPresigned", fn: TestUnsignedHeadersPresigned}, {name: "TestUnsignedHeadersSigned", fn: TestUnsignedHeadersSigned},
	{name: "TestListObjectsV1", fn: TestListObjectsV1}, {name: "TestListParts", fn: TestListParts},
	{name: "TestCopyObject", fn: TestCopyObject}, {name: "TestUploadPartCopy", fn: TestUploadPartCopy}, {name: "TestCopyAccess", fn: TestCopyAccess},
	{name: "TestBucketLocationAndList", fn: TestBucketLocationAndList}, {name: "TestObjectTagging", fn: TestObjectTagging},
	{name: "TestLacks", fn: TestLacks}, {name: "TestLacksOneChecksum", fn: TestLacksOneChecksum},
	{name: "TestLacksPresignedWithoutCredentials", fn: TestLacksPresignedWithoutCredentials},
	{name: "TestIgnores", fn: TestIgnores}, {name: "TestDateHeader", fn: TestDateHeader},
	{name: "TestHeaderSizes", fn: TestHeaderSizes}, {name: "TestXMLBodyBounded", fn: TestXMLBodyBounded, serial: true},
}

type protocolTest struct {
	name string
	fn   func(*testing.T)
	// serial marks the tests that measure the memory they allocate,
	// which run alone.
	serial bool
}

// TestOnDiskStore runs the protocol tests on the disk store. They run in
// parallel, each with a directory of its own, to keep the package's run
// time near what one store takes.
func TestOnDiskStore(t *testing.T) {
	for _, pt := range protocolTests {
		t.Run(pt.name, func(t *testing.T) {
			if !pt.serial {
				t.Parallel() // runs once the serial ones are done
			}
			pt.fn(t)
		})
	}
}

// TestProtocolTestsListed: every test that starts a server with start
// (or signedStart) and no store of its own is in protocolTests, so that
// none runs on the memory store only.
func TestProtocolTestsListed(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || ownStores[fn.Name.Name] || !callsStart(fn) {
				continue
			}
			if !slices.ContainsFunc(protocolTests, func(p protocolTest) bool { return p.name == fn.Name.Name }) {
				t.Errorf("%s (%s) starts a server with start but is not in protocolTests: it would not run on the disk store", fn.Name.Name, name)
			}
		}
	}
}

// ownStores are the tests that give start a store of each kind
// themselves.
var ownStores = map[string]bool{"TestConditionalWriteRace": true}

// callsStart reports whether fn calls start or signedStart with options
// that do not name a Store (a variable is taken as naming none).
func callsStart(fn *ast.FuncDecl) bool {
	calls := false
	ast.Inspect(fn, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok && (id.Name == "signedStart" || id.Name == "start" && !namesStore(call.Args[1])) {
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
		return false
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
