package tokens

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/oauth2-tf/terraform-provider-oauth2/internal/oauthclient"
	"github.com/oauth2-tf/terraform-provider-oauth2/internal/tokenstore"
)

// DefaultUnknownLifetime is how long a token whose server announced no
// lifetime (no expires_in, RFC 6749 §5.1) is taken to live. Servers that omit
// it (Salesforce among them) end sessions after an idle timeout of 15 minutes
// or more, so a token is reused for at most this long after it was obtained,
// less the validity the caller asks for.
const DefaultUnknownLifetime = 15 * time.Minute

// saveTimeout bounds a save that runs after the caller's context was
// cancelled: the server has answered, and its answer must reach the store.
const saveTimeout = 30 * time.Second

// Exchanger performs one token request; *oauthclient.Client is one.
type Exchanger interface {
	Exchange(ctx context.Context, req oauthclient.Request) (*oauthclient.Token, error)
}

// Logger receives events without secrets, for the caller's log.
type Logger func(ctx context.Context, msg string, fields map[string]any)

// Options configure an Engine.
type Options struct {
	// Client performs token requests.
	Client Exchanger
	// Store keeps tokens between processes; nil keeps them in this process
	// only (tokenstore.NewMemory).
	Store tokenstore.Store
	// Now is the clock deciding whether a token is fresh; nil means time.Now.
	Now func() time.Time
	// UnknownLifetime is how long a token without an announced lifetime is
	// taken to live from when it was obtained. Zero means
	// DefaultUnknownLifetime; negative means such a token is never reused.
	UnknownLifetime time.Duration
	// Logger, when set, receives events; they never hold a secret.
	Logger Logger
}

// Engine hands out tokens; see the package documentation for its rules. It
// is safe for concurrent use.
type Engine struct {
	client          Exchanger
	store           tokenstore.Store
	durable         bool
	now             func() time.Time
	unknownLifetime time.Duration
	log             Logger
}

// New returns an Engine for opts.
func New(opts Options) *Engine {
	e := &Engine{
		client:          opts.Client,
		store:           opts.Store,
		now:             opts.Now,
		unknownLifetime: opts.UnknownLifetime,
		log:             opts.Logger,
	}
	if e.store == nil {
		e.store = tokenstore.NewMemory()
	}
	e.durable = !tokenstore.IsMemory(e.store)
	if e.now == nil {
		e.now = time.Now
	}
	if e.unknownLifetime == 0 {
		e.unknownLifetime = DefaultUnknownLifetime
	}
	if e.log == nil {
		e.log = func(context.Context, string, map[string]any) {}
	}
	return e
}

// Durable reports whether tokens outlive this process.
func (e *Engine) Durable() bool { return e.durable }

// Store returns the store the engine keeps tokens in.
func (e *Engine) Store() tokenstore.Store { return e.store }

// Request is one token request and where its refresh chain lives.
type Request struct {
	// Token is the request as it would be sent without a store.
	Token oauthclient.Request
	// Connection is the id of the oauth2_connection the request belongs to,
	// or "". With the password or authorization_code grant, a successful
	// answer starts that connection's refresh chain. With the refresh_token
	// grant and no configured refresh token, the request draws on that
	// connection's chain; with one, the connection's entry links to the
	// configured token's chain.
	Connection string
	// Label is the caller's description of the request (the connection's
	// label, or the kind of block, such as "oauth2_access_token"). The
	// engine writes it into every entry it saves for the request, with the
	// token endpoint's host, the client ID, the grant type and the kind of
	// entry, so that a listing of the store can tell entries apart; none of
	// them may be a secret.
	Label string
	// AdoptConnectionEntry says that the connection's own entry holds the
	// chain of the configured refresh token, as earlier versions kept it;
	// the chain is moved from there on first use.
	AdoptConnectionEntry bool
}

// Policy says which token a caller accepts.
type Policy struct {
	// MinValidity is how long a reused token must still be valid.
	MinValidity time.Duration
	// MaxAge, when positive, refuses to reuse a token obtained longer ago.
	MaxAge time.Duration
	// Fresh requests a new token even when a stored one would do: a
	// connection proves its credentials this way.
	Fresh bool
	// Unshared obtains an access token that no other caller reuses: it is
	// neither read from nor saved to the store (a refresh chain is still
	// saved, or its rotation would be lost). A token that its holder
	// revokes when done must not be handed to anyone else.
	Unshared bool
}

// Result is a token and how it was obtained.
type Result struct {
	// Token is what the caller may use; treat it as read-only.
	Token *oauthclient.Token
	// Requests is the number of token requests made: 0 when a stored token
	// was reused.
	Requests int
	// RotationNotKept reports that the server rotated the refresh token while
	// the store keeps tokens in this process only: its successor is lost
	// when the process exits.
	RotationNotKept bool
}

// Token returns a token for r that satisfies p: a stored one when p allows,
// else the newest refresh token of r's chain presented, else r's grant run.
// What the server answered is saved before it is returned.
func (e *Engine) Token(ctx context.Context, r Request, p Policy) (*Result, error) {
	chain, err := e.chainOf(ctx, r)
	if err != nil {
		return nil, err
	}
	access := AccessKey(r.Token, chain.name(), e.store.NameKey())

	if p.Unshared {
		p.Fresh = true
	}
	if !p.Fresh {
		cur, err := e.store.Get(ctx, access)
		if err != nil {
			return nil, &StoreError{Err: err}
		}
		if e.reusable(cur, p) {
			e.log(ctx, "stored access token is fresh; no request", map[string]any{"revision": cur.Revision})
			return &Result{Token: e.tokenFromEntry(cur)}, nil
		}
	}
	if chain.refreshes {
		return e.refresh(ctx, r, p, chain, access)
	}
	return e.grant(ctx, r, p, chain, access)
}

// chain is where the refresh chain of a request lives.
type chain struct {
	key tokenstore.Key
	// set is false for a request with no chain (client_credentials).
	set bool
	// refreshes is true when the request presents the chain's refresh
	// token; false when its grant starts the chain.
	refreshes bool
	// configured is true when the chain is named after a configured
	// refresh token, false when after a connection.
	configured bool
}

func (c chain) name() string {
	if !c.set {
		return ""
	}
	return c.key.String()
}

// chainOf works out r's chain. A connection without a configured refresh
// token finds it through its entry, which may link elsewhere.
func (e *Engine) chainOf(ctx context.Context, r Request) (chain, error) {
	switch r.Token.GrantType {
	case oauthclient.GrantRefreshToken:
		if r.Token.RefreshToken != "" {
			return chain{key: ChainKey(r.Token, e.store.NameKey()), set: true, refreshes: true, configured: true}, nil
		}
		if r.Connection == "" {
			return chain{}, errors.New("tokens: the refresh_token grant needs a refresh token or a connection")
		}
		key := ConnectionKey(r.Connection)
		cur, err := e.store.Get(ctx, key)
		if err != nil {
			return chain{}, &StoreError{Err: err}
		}
		if cur != nil && cur.Chain != "" {
			if key, err = parseKey(cur.Chain); err != nil {
				return chain{}, &StoreError{Err: err}
			}
		}
		return chain{key: key, set: true, refreshes: true}, nil
	case oauthclient.GrantPassword, oauthclient.GrantAuthorizationCode:
		if r.Connection != "" {
			return chain{key: ConnectionKey(r.Connection), set: true}, nil
		}
	}
	return chain{}, nil
}

// grant runs r's grant under the lock of its access entry, or of the
// connection's chain when the grant starts one.
func (e *Engine) grant(ctx context.Context, r Request, p Policy, c chain, access tokenstore.Key) (*Result, error) {
	if p.Unshared && !c.set {
		tok, err := e.client.Exchange(ctx, r.Token)
		if err != nil {
			return nil, &RequestError{Err: err}
		}
		return &Result{Token: withExpiry(tok, e.entryFrom(tok, r.Token).Expiry), Requests: 1}, nil
	}
	if p.Fresh && !c.set {
		return e.freshGrant(ctx, r, access)
	}
	lock := access
	if c.set {
		lock = c.key
	}
	res := &Result{}
	var reqErr error
	entry, err := e.store.Update(ctx, lock, func(ctx context.Context, current *tokenstore.Entry) (*tokenstore.Entry, error) {
		res.Token, reqErr = nil, nil
		if !c.set && !p.Fresh && e.reusable(current, p) {
			// Another process obtained one while this one waited.
			return current, nil
		}
		res.Requests++
		tok, err := e.client.Exchange(ctx, r.Token)
		if err != nil {
			reqErr = &RequestError{Err: err}
			return nil, reqErr
		}
		next := e.entryFrom(tok, r.Token)
		res.Token = withExpiry(tok, next.Expiry)
		kind := tokenstore.KindChain
		if !c.set {
			kind = tokenstore.KindAccess
		}
		r.label(next, kind)
		if !c.set {
			// Only a chain keeps a refresh token.
			next.RefreshToken = ""
		}
		return next, nil
	})
	switch {
	case reqErr != nil:
		return nil, reqErr
	case err != nil && res.Token != nil:
		return nil, &SaveError{Err: err}
	case err != nil:
		return nil, &StoreError{Err: err}
	case res.Token == nil:
		return &Result{Token: e.tokenFromEntry(entry)}, nil
	}
	e.log(ctx, "token obtained and saved", map[string]any{"requests": res.Requests, "revision": entry.Revision, "durable": e.durable})
	return res, nil
}

// freshGrant runs a grant that starts no refresh chain for a caller that
// wants a token of its own (a connection proving its credentials), and
// saves it for later reuse. The request is made outside the entry's lock:
// no refresh token is presented, so nothing needs serializing, and
// connections that share credentials prove them at once instead of one
// request latency after another (bench/profile.md). The lock is held to
// save only; of concurrent fresh tokens the last saved is the one reused.
func (e *Engine) freshGrant(ctx context.Context, r Request, access tokenstore.Key) (*Result, error) {
	tok, err := e.client.Exchange(ctx, r.Token)
	if err != nil {
		return nil, &RequestError{Err: err}
	}
	next := e.entryFrom(tok, r.Token)
	r.label(next, tokenstore.KindAccess)
	next.RefreshToken = ""
	entry, err := e.store.Update(ctx, access, func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) {
		return next, nil
	})
	if err != nil {
		return nil, &SaveError{Err: err}
	}
	e.log(ctx, "token obtained and saved", map[string]any{"requests": 1, "revision": entry.Revision, "durable": e.durable})
	return &Result{Token: withExpiry(tok, next.Expiry), Requests: 1}, nil
}

// refresh presents the newest refresh token of c under its lock and saves the
// chain's successor before anything is handed out.
func (e *Engine) refresh(ctx context.Context, r Request, p Policy, c chain, access tokenstore.Key) (*Result, error) {
	nameKey := e.store.NameKey()
	marker := inFlightKey(c.key)
	var (
		res       = &Result{}
		reqErr    error
		legacy    []tokenstore.Key
		presented string
	)
	entry, err := e.store.Update(ctx, c.key, func(ctx context.Context, current *tokenstore.Entry) (*tokenstore.Entry, error) {
		res.Token, reqErr, legacy, presented = nil, nil, nil, ""
		if !p.Fresh {
			// Another process may have refreshed while this one waited.
			cur, err := e.store.Get(ctx, access)
			if err != nil {
				return nil, err
			}
			if e.reusable(cur, p) {
				res.Token = e.tokenFromEntry(cur)
				return current, nil
			}
		}
		base := current
		if base == nil || base.RefreshToken == "" {
			var err error
			if base, legacy, err = e.legacyChain(ctx, r, c, nameKey); err != nil {
				return nil, err
			}
		}
		req := r.Token
		stored := base != nil && base.RefreshToken != "" && base.RefreshToken != r.Token.RefreshToken
		if base != nil && base.RefreshToken != "" {
			if req.RefreshToken != "" && req.RefreshToken != base.RefreshToken {
				req.AlsoRedact = append(req.AlsoRedact, req.RefreshToken)
			}
			req.RefreshToken = base.RefreshToken
		}
		if req.RefreshToken == "" {
			return nil, ErrNoRefreshToken
		}
		presented = req.RefreshToken

		revision := uint64(0)
		if current != nil {
			revision = current.Revision
		}
		interrupted, err := e.markInFlight(ctx, r, marker, revision)
		if err != nil {
			return nil, err
		}
		res.Requests++
		tok, err := e.client.Exchange(ctx, req)
		if err != nil {
			reqErr = &RequestError{Err: err, StoredRefreshToken: stored}
			switch {
			case interrupted != nil && IsInvalidGrant(err):
				reqErr = &InterruptedError{Since: interrupted.InFlightSince, Err: reqErr}
			case answered(err):
				// The server refused without taking the token: nothing
				// is in flight any more.
				e.clearInFlight(ctx, marker)
			}
			return nil, reqErr
		}
		next := r.label(e.entryFrom(tok, req), tokenstore.KindChain)
		res.Token = withExpiry(tok, next.Expiry)
		res.RotationNotKept = !e.durable && tok.RefreshTokenRotated
		return next, nil
	})
	switch {
	case reqErr != nil:
		return nil, reqErr
	case errors.Is(err, ErrNoRefreshToken):
		return nil, ErrNoRefreshToken
	case err != nil && res.Requests > 0 && res.Token != nil:
		return nil, &SaveError{Err: err}
	case err != nil:
		return nil, &StoreError{Err: err}
	case res.Requests == 0:
		return res, nil
	}
	e.clearInFlight(ctx, marker)
	// The chain is saved; what follows only spares later requests.
	for _, k := range legacy {
		if err := e.delete(ctx, k); err != nil {
			e.log(ctx, "could not remove a migrated token store entry", map[string]any{"error": err.Error()})
		}
	}
	if !p.Unshared {
		if err := e.saveAccess(ctx, access, res.Token, r); err != nil {
			return nil, &SaveError{Err: err}
		}
	}
	if r.Connection != "" && c.configured {
		if err := e.link(ctx, r, c.key); err != nil {
			return nil, &SaveError{Err: err}
		}
	}
	e.log(ctx, "token refreshed and saved", map[string]any{
		"revision":             entry.Revision,
		"rotated":              res.Token.RefreshTokenRotated,
		"stored_refresh_token": presented != r.Token.RefreshToken,
		"durable":              e.durable,
	})
	return res, nil
}

// legacyChain finds the chain under a name of an earlier version: the whole
// request's entry, or a connection's own entry that held a configured
// token's chain before links existed. It returns the newest one found and
// every name to remove once the chain is saved under its own name.
func (e *Engine) legacyChain(ctx context.Context, r Request, c chain, nameKey []byte) (*tokenstore.Entry, []tokenstore.Key, error) {
	if !c.configured {
		return nil, nil, nil
	}
	var (
		best  *tokenstore.Entry
		names []tokenstore.Key
	)
	candidates := []tokenstore.Key{legacyRequestKey(r.Token, nameKey)}
	if r.Connection != "" && r.AdoptConnectionEntry {
		candidates = append(candidates, ConnectionKey(r.Connection))
	}
	for _, k := range candidates {
		old, err := e.store.Get(ctx, k)
		if err != nil {
			return nil, nil, err
		}
		if old == nil || old.RefreshToken == "" || old.Chain != "" {
			continue
		}
		names = append(names, k)
		if best == nil || old.UpdatedAt.After(best.UpdatedAt) {
			best = old
		}
	}
	if best != nil {
		e.log(ctx, "moving a refresh chain from an earlier entry name", map[string]any{"entries": len(names)})
	}
	return best, names, nil
}

// markInFlight records a refresh of the chain at revision. It returns the
// record an earlier, interrupted refresh of the same revision left behind.
func (e *Engine) markInFlight(ctx context.Context, r Request, marker tokenstore.Key, revision uint64) (*tokenstore.Entry, error) {
	var interrupted *tokenstore.Entry
	_, err := e.store.Update(ctx, marker, func(_ context.Context, current *tokenstore.Entry) (*tokenstore.Entry, error) {
		interrupted = nil
		if current != nil && !current.InFlightSince.IsZero() && current.InFlightRevision == revision {
			interrupted = current
			// Keep the first record: it dates the interruption.
			return current, nil
		}
		return r.label(&tokenstore.Entry{InFlightRevision: revision, InFlightSince: e.now().UTC()}, tokenstore.KindInFlight), nil
	})
	return interrupted, err
}

// clearInFlight removes the in-flight record; a failure only leaves a
// record that a later successful refresh replaces.
func (e *Engine) clearInFlight(ctx context.Context, marker tokenstore.Key) {
	if err := e.delete(ctx, marker); err != nil {
		e.log(ctx, "could not clear the refresh-in-flight record", map[string]any{"error": err.Error()})
	}
}

// saveAccess keeps the access token of one whole request, without the
// refresh token, which its chain holds.
func (e *Engine) saveAccess(ctx context.Context, key tokenstore.Key, tok *oauthclient.Token, r Request) error {
	entry := r.label(e.entryFrom(tok, r.Token), tokenstore.KindAccess)
	entry.RefreshToken = ""
	ctx, cancel := detached(ctx)
	defer cancel()
	_, err := e.store.Update(ctx, key, func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) {
		return entry, nil
	})
	return err
}

// delete removes an entry even after the caller's context was cancelled.
func (e *Engine) delete(ctx context.Context, key tokenstore.Key) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	return e.store.Delete(ctx, key)
}

// link points a connection's entry at the chain of its configured refresh
// token, where an oauth2_access_token with that connection's id finds it.
func (e *Engine) link(ctx context.Context, r Request, to tokenstore.Key) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	next := r.label(&tokenstore.Entry{Chain: to.String()}, tokenstore.KindConnection)
	_, err := e.store.Update(ctx, ConnectionKey(r.Connection), func(_ context.Context, current *tokenstore.Entry) (*tokenstore.Entry, error) {
		if current != nil && current.Chain == next.Chain && current.RefreshToken == "" && sameLabels(current, next) {
			return current, nil
		}
		return next, nil
	})
	return err
}

// Adopt saves a token that the caller obtained itself (the device
// authorization grant, which polls until a person approves) as the start of
// a connection's refresh chain, as if the engine had run the grant. The save
// survives cancellation: the server has issued the token by now.
func (e *Engine) Adopt(ctx context.Context, connection string, r Request, tok *oauthclient.Token) error {
	entry := r.label(e.entryFrom(tok, r.Token), tokenstore.KindChain)
	ctx, cancel := detached(ctx)
	defer cancel()
	_, err := e.store.Update(ctx, ConnectionKey(connection), func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) {
		return entry, nil
	})
	if err != nil {
		return &SaveError{Err: err}
	}
	return nil
}

// Pending is a connection's device authorization waiting for a person's
// approval (RFC 8628).
type Pending struct {
	DeviceCode string
	Interval   int64
	Expiry     time.Time
}

// SavePending keeps a connection's pending device authorization in the
// store, so that the next run polls with the same device code.
func (e *Engine) SavePending(ctx context.Context, r Request, p Pending) error {
	entry := r.label(&tokenstore.Entry{DeviceCode: p.DeviceCode, DeviceInterval: p.Interval, Expiry: p.Expiry}, tokenstore.KindDevice)
	ctx, cancel := detached(ctx)
	defer cancel()
	_, err := e.store.Update(ctx, deviceKey(r.Connection), func(context.Context, *tokenstore.Entry) (*tokenstore.Entry, error) {
		return entry, nil
	})
	if err != nil {
		return &StoreError{Err: err}
	}
	return nil
}

// PendingOf returns a connection's pending device authorization, nil when
// there is none.
func (e *Engine) PendingOf(ctx context.Context, connection string) (*Pending, error) {
	cur, err := e.store.Get(ctx, deviceKey(connection))
	if err != nil {
		return nil, &StoreError{Err: err}
	}
	if cur == nil || cur.DeviceCode == "" {
		return nil, nil
	}
	return &Pending{DeviceCode: cur.DeviceCode, Interval: cur.DeviceInterval, Expiry: cur.Expiry}, nil
}

// ClearPending removes a connection's pending device authorization.
func (e *Engine) ClearPending(ctx context.Context, connection string) error {
	return e.delete(ctx, deviceKey(connection))
}

// OwnRefreshToken returns the newest refresh token of the chain a
// connection started itself (its authorization code or password grant), ""
// when it holds none. A connection whose entry links to the chain of a
// configured refresh token does not own that chain: other blocks configured
// with the same token share it.
func (e *Engine) OwnRefreshToken(ctx context.Context, connection string) (string, error) {
	cur, err := e.store.Get(ctx, ConnectionKey(connection))
	if err != nil {
		return "", &StoreError{Err: err}
	}
	if cur == nil || cur.Chain != "" {
		return "", nil
	}
	return cur.RefreshToken, nil
}

// Forget removes a connection's entry and the chain it links to.
func (e *Engine) Forget(ctx context.Context, connection string) error {
	if err := e.store.Delete(ctx, deviceKey(connection)); err != nil {
		return err
	}
	key := ConnectionKey(connection)
	cur, err := e.store.Get(ctx, key)
	if err != nil {
		return err
	}
	if cur != nil && cur.Chain != "" {
		if to, err := parseKey(cur.Chain); err == nil {
			if err := e.store.Delete(ctx, to); err != nil {
				return err
			}
		}
	}
	return e.store.Delete(ctx, key)
}

// detached keeps ctx's values but not its cancellation, with a deadline of
// its own: a save that follows a server's answer must not be lost to Ctrl-C.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
}

// answered reports whether err is a refusal the server sent (an RFC 6749
// §5.2 error), as opposed to a request that may or may not have reached it.
func answered(err error) bool {
	var oe *oauthclient.Error
	return errors.As(err, &oe) && oe.Code != ""
}

func parseKey(s string) (tokenstore.Key, error) {
	var k tokenstore.Key
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, errors.New("tokens: a connection entry links to a malformed entry name")
	}
	copy(k[:], b)
	return k, nil
}
