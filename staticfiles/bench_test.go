package staticfiles_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/s3kit/s3kit/staticfiles"
)

// tree999 is 999 files shaped like a static tree: CSS referring to PNGs
// and importing each other in short chains, PNGs, JavaScript.
func tree999() fstest.MapFS {
	fsys := fstest.MapFS{}
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 200)
	for i := 0; i < 999; i++ {
		g := i / 3
		switch i % 3 {
		case 0:
			imp := ""
			if g%4 != 0 {
				imp = fmt.Sprintf("@import \"c%d.css\";\n", g-1)
			}
			fsys[fmt.Sprintf("css/c%d.css", g)] = &fstest.MapFile{Data: []byte(fmt.Sprintf(
				"%s.c%d { background: url(../img/i%d.png) } .d%d { background: url('../img/i%d.png') }\n", imp, g, g, g, max(g-1, 0)))}
		case 1:
			fsys[fmt.Sprintf("img/i%d.png", g)] = &fstest.MapFile{Data: []byte(png + fmt.Sprint(g))}
		case 2:
			fsys[fmt.Sprintf("js/m%d.js", g)] = &fstest.MapFile{Data: []byte(fmt.Sprintf("console.log(%d);\n", g))}
		}
	}
	return fsys
}

// BenchmarkCollectUnchanged is the local cost of an unchanged run over
// 999 files: read, hash, rewrite, compare with one listing.
func BenchmarkCollectUnchanged(b *testing.B) {
	fsys := tree999()
	dst := newMemDest()
	src := []staticfiles.Source{{FS: fsys}}
	if _, err := staticfiles.Collect(context.Background(), dst, src, nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		sum, err := staticfiles.Collect(context.Background(), dst, src, nil)
		if err != nil || sum.Uploaded != 0 {
			b.Fatalf("%v, %v", sum, err)
		}
	}
}
