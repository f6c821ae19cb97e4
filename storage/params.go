package storage

// objectParams decides the parameters of an object Put writes: the
// content type detected from its name and first bytes, unless the call
// sets one, then mergeParams.
func (s *Storage) objectParams(name, key string, head []byte, call ObjectParameters) (ObjectParameters, error) {
	detected, encoding := "", ""
	if call.ContentType == "" {
		detected, encoding = DetectContentType(name, head)
	}
	return s.mergeParams(name, key, call, detected, encoding)
}

// mergeParams merges the object parameters of a write, for Put and for
// presigned uploads alike: the storage's, its hook's (told the content
// type the object will have) and the call's, each set field over the one
// before; then the detected type and encoding when none is set, and the
// default ACL.
func (s *Storage) mergeParams(name, key string, call ObjectParameters, detected, encoding string) (ObjectParameters, error) {
	p := s.opts.ObjectParameters
	if s.opts.ObjectParametersFunc != nil {
		ct := call.ContentType
		if ct == "" {
			ct = detected
		}
		h, err := s.opts.ObjectParametersFunc(name, key, ct)
		if err != nil {
			return p, err
		}
		p = overlay(p, h)
	}
	p = overlay(p, call)
	if p.ContentType == "" {
		p.ContentType = detected
		if p.ContentEncoding == "" {
			p.ContentEncoding = encoding
		}
	}
	if p.ACL == "" {
		p.ACL = s.opts.DefaultACL
	}
	return p, validACL(p.ACL)
}
