//go:build !unix

package s3local

import "os"

// lockFile does nothing where flock(2) is missing: keep one process per
// DiskStore directory by hand.
func lockFile(*os.File) error { return nil }

// unlockFile does nothing, as lockFile.
func unlockFile(*os.File) error { return nil }
