package inception

import "sync"

// SessionPool hands out at most Size sessions over one model, so many goroutines can run
// the model in parallel without each creating its own session (and its activation memory).
// Sessions are created on first need and reused.
type SessionPool struct {
	model  *Model
	opts   SessionOptions
	tokens chan struct{}
	mu     sync.Mutex
	idle   []*Session
	closed bool
}

// NewSessionPool creates a pool of up to size sessions (size < 1 means 1). With several
// sessions, set opts.Threads so that size*Threads does not exceed the cores.
func NewSessionPool(m *Model, size int, opts *SessionOptions) *SessionPool {
	if size < 1 {
		size = 1
	}
	p := &SessionPool{model: m, tokens: make(chan struct{}, size)}
	if opts != nil {
		p.opts = *opts
	}
	return p
}

// Get returns a session for the caller's exclusive use, waiting while all are busy. Give it
// back with Put.
func (p *SessionPool) Get() (*Session, error) {
	if p == nil {
		return nil, goErr("SessionPool.Get", ErrInvalidArgument, "pool is nil")
	}
	p.tokens <- struct{}{}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.tokens
		return nil, goErr("SessionPool.Get", ErrInvalidArgument, "pool is closed")
	}
	if n := len(p.idle); n > 0 {
		s := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return s, nil
	}
	p.mu.Unlock()
	s, err := p.model.NewSession(&p.opts)
	if err != nil {
		<-p.tokens
		return nil, err
	}
	return s, nil
}

// Put returns a session obtained from Get (a nil one only gives its place back).
func (p *SessionPool) Put(s *Session) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if s == nil {
		// nothing to keep
	} else if p.closed {
		s.Close()
	} else {
		p.idle = append(p.idle, s)
	}
	p.mu.Unlock()
	<-p.tokens
}

// Do runs f with a session from the pool.
func (p *SessionPool) Do(f func(*Session) error) error {
	s, err := p.Get()
	if err != nil {
		return err
	}
	defer p.Put(s)
	return f(s)
}

// Close frees the idle sessions; sessions in use are freed when they are put back.
func (p *SessionPool) Close() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, s := range p.idle {
		s.Close()
	}
	p.idle = nil
	return nil
}
