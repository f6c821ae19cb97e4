// Package spool holds a body that must be read more than once: in memory
// up to a limit, then in a temporary file. The file is unlinked as soon as
// it is created (where the system allows it), so nothing is left behind
// even if the process dies; Close releases it in every case.
//
// # Concurrency
//
// Writes are not safe for concurrent use; once writing is done, ReadAt
// may be called concurrently (as io.ReaderAt requires).
package spool
