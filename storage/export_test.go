package storage

// ResolvedOptions returns the options as resolved by New, for the tests
// of defaults and precedence (the API gives only narrow accessors).
func (s *Storage) ResolvedOptions() Options { return *s.opts }
