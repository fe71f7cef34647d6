package tokenserver

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// GrantTypeDeviceCode is the grant_type of the device authorization grant's
// token request (RFC 8628 §3.4).
const GrantTypeDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// Defaults of the device authorization grant.
const (
	// DefaultDeviceCodeLifetime is the device code lifetime when
	// Config.DeviceCodeLifetime is zero; RFC 8628 §3.2's example uses 30
	// minutes, but a test waiting for a human needs less.
	DefaultDeviceCodeLifetime = 10 * time.Minute
	// DefaultDevicePollInterval is the polling interval when
	// Config.DevicePollInterval is zero: the default RFC 8628 §3.2 tells
	// clients to use when the server names none.
	DefaultDevicePollInterval = 5 * time.Second
)

// slowDownStep is how much a slow_down answer lengthens the polling interval
// (RFC 8628 §3.5).
const slowDownStep = 5 * time.Second

// userCodeAlphabet is the base-20 consonant alphabet of RFC 8628 §6.1: no
// vowels, so no words, and no letters that look like digits.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// userCodeLength gives 20^8, about 2^34.6, codes: RFC 8628 §5.1 wants
// enough entropy that guessing one before it expires is unlikely.
const userCodeLength = 8

// deviceState is where the user's decision on a device code stands.
type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDenied
)

// deviceGrant is a device authorization request waiting for the user (RFC
// 8628 §3.2) and for the device to poll for its tokens.
type deviceGrant struct {
	clientID string
	scope    string
	userCode string // normalized: userCodeLength letters of userCodeAlphabet
	expiry   time.Time
	// interval is the minimum time between polls; slow_down lengthens it.
	interval time.Duration
	lastPoll time.Time
	state    deviceState
	username string
	// used is set once the tokens were issued: a device code is good for
	// one token response.
	used bool
}

// deviceAuthorizationAnswer is the device authorization response (RFC 8628
// §3.2).
type deviceAuthorizationAnswer struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// DeviceAuthorizationURL returns the device authorization endpoint URL (RFC
// 8628 §3.1), or "" before Start.
func (s *Server) DeviceAuthorizationURL() string { return s.endpoint(DeviceAuthorizationPath) }

// DeviceVerificationURL returns the verification URI users approve devices
// at (RFC 8628 §3.3), or "" before Start.
func (s *Server) DeviceVerificationURL() string { return s.endpoint(DeviceVerificationPath) }

// handleDeviceAuthorization is the device authorization endpoint (RFC 8628
// §3.1). Clients authenticate as at the token endpoint; a public client
// names itself with client_id, which is what most devices are.
func (s *Server) handleDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	ans, oerr := s.deviceAuthorization(r)
	if oerr != nil {
		writeEndpointError(w, oerr)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) deviceAuthorization(r *http.Request) (deviceAuthorizationAnswer, *oauthError) {
	if r.Method != http.MethodPost {
		// RFC 8628 §3.1: the client makes a POST request.
		return deviceAuthorizationAnswer{}, &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request", description: "the device authorization endpoint accepts POST only"}
	}
	params, _, oerr := readParams(r)
	if oerr != nil {
		return deviceAuthorizationAnswer{}, oerr
	}
	client, oerr := s.authenticateClient(r, params)
	if oerr != nil {
		return deviceAuthorizationAnswer{}, oerr
	}
	scope, oerr := s.grantScope(params["scope"])
	if oerr != nil {
		return deviceAuthorizationAnswer{}, oerr
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	deviceCode := newID("dc_")
	userCode := newUserCode()
	for s.ucodes[userCode] != "" {
		userCode = newUserCode()
	}
	dg := &deviceGrant{
		clientID: client.id,
		scope:    scope,
		userCode: userCode,
		expiry:   s.now().Add(s.cfg.DeviceCodeLifetime),
		interval: s.cfg.DevicePollInterval,
	}
	s.devices[deviceCode] = dg
	s.ucodes[userCode] = deviceCode
	s.counters.DeviceAuthorizations++

	verification := s.issuerURL(r) + DeviceVerificationPath
	shown := displayUserCode(userCode)
	return deviceAuthorizationAnswer{
		DeviceCode:              deviceCode,
		UserCode:                shown,
		VerificationURI:         verification,
		VerificationURIComplete: verification + "?user_code=" + shown,
		ExpiresIn:               wholeSeconds(s.cfg.DeviceCodeLifetime),
		Interval:                wholeSeconds(dg.interval),
	}, nil
}

// grantDeviceCode is the device access token request (RFC 8628 §3.4) and its
// answers (§3.5): authorization_pending until the user decides, slow_down
// for a poll sooner than the interval after the previous one (the interval
// then grows by five seconds), access_denied, expired_token, and once
// approved the tokens, with a refresh token, exactly once.
func (s *Server) grantDeviceCode(c authenticatedClient, params map[string]string) (tokenAnswer, *oauthError) {
	code := params["device_code"]
	if code == "" {
		return tokenAnswer{}, badRequest("invalid_request", "device_code is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dg, ok := s.devices[code]
	if !ok || dg.clientID != c.id {
		if s.cfg.EchoSecretsInErrors {
			return tokenAnswer{}, badRequest("invalid_grant", "device code %q is not valid", code)
		}
		return tokenAnswer{}, badRequest("invalid_grant", "the device code is not valid")
	}
	if dg.used {
		return tokenAnswer{}, badRequest("invalid_grant", "the device code was already exchanged for tokens")
	}
	now := s.now()
	if !now.Before(dg.expiry) {
		return tokenAnswer{}, badRequest("expired_token", "the device code has expired; start a new device authorization")
	}
	switch dg.state {
	case deviceDenied:
		return tokenAnswer{}, badRequest("access_denied", "the user denied the device authorization request")
	case devicePending:
		tooSoon := !dg.lastPoll.IsZero() && now.Sub(dg.lastPoll) < dg.interval
		dg.lastPoll = now
		if tooSoon {
			dg.interval += slowDownStep
			return tokenAnswer{}, badRequest("slow_down", "polled sooner than the interval; wait at least %d seconds between requests", wholeSeconds(dg.interval))
		}
		return tokenAnswer{}, badRequest("authorization_pending", "the user has not yet approved the device at the verification URI")
	}
	dg.used = true
	family := newID("fam_")
	return tokenAnswer{
		accessToken:  s.issueAccessLocked(c.id, dg.username, dg.scope, family),
		refreshToken: s.issueRefreshLocked(c.id, dg.username, dg.scope, family),
		scope:        dg.scope,
	}, nil
}

// ApproveDevice approves the device authorization request with userCode (in
// any case, with or without its dash) on behalf of the first configured user
// in name order, as a user at the verification URI would. It fails for an
// unknown or expired code and for one already approved or denied.
func (s *Server) ApproveDevice(userCode string) error {
	_, err := s.decideDevice(userCode, deviceApproved)
	return err
}

// DenyDevice denies the device authorization request with userCode, as
// ApproveDevice approves it; the device's next poll answers access_denied.
func (s *Server) DenyDevice(userCode string) error {
	_, err := s.decideDevice(userCode, deviceDenied)
	return err
}

// decideDevice records the user's decision and returns who made it.
func (s *Server) decideDevice(userCode string, decision deviceState) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dg := s.devices[s.ucodes[normalizeUserCode(userCode)]]
	switch {
	case dg == nil:
		return "", errors.New("tokenserver: unknown user code")
	case !s.now().Before(dg.expiry):
		return "", errors.New("tokenserver: the user code has expired")
	case dg.state == deviceApproved:
		return "", errors.New("tokenserver: the user code was already approved")
	case dg.state == deviceDenied:
		return "", errors.New("tokenserver: the user code was already denied")
	}
	dg.state = decision
	dg.username = s.defaultUser()
	return dg.username, nil
}

// The verification page (see pages) has no login and no CSRF token: the
// server listens on loopback only and approves as its default user, like
// the authorization endpoint without Config.ConsentPage.

type devicePageData struct {
	Message  string
	UserCode string
	Form     bool
}

// Title is the page's title and heading.
func (devicePageData) Title() string { return "Device authorization" }

// handleDevice is the verification URI (RFC 8628 §3.3): GET shows a form,
// with the code of verification_uri_complete filled in; POST with user_code
// and action=approve or action=deny decides as the server's default user.
func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		renderDevicePage(w, http.StatusOK, devicePageData{UserCode: r.URL.Query().Get("user_code"), Form: true})
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			renderDevicePage(w, http.StatusBadRequest, devicePageData{Message: "The form could not be read.", Form: true})
			return
		}
		userCode := r.PostFormValue("user_code")
		var decision deviceState
		switch r.PostFormValue("action") {
		case "approve":
			decision = deviceApproved
		case "deny":
			decision = deviceDenied
		default:
			renderDevicePage(w, http.StatusBadRequest, devicePageData{Message: "Choose Approve or Deny.", UserCode: userCode, Form: true})
			return
		}
		user, err := s.decideDevice(userCode, decision)
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "tokenserver: ")
			renderDevicePage(w, http.StatusBadRequest, devicePageData{Message: "Not done: " + msg + ".", UserCode: userCode, Form: true})
			return
		}
		msg := fmt.Sprintf("The device was approved for %s. You may return to it.", user)
		if decision == deviceDenied {
			msg = "The device was denied."
		}
		renderDevicePage(w, http.StatusOK, devicePageData{Message: msg})
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		renderDevicePage(w, http.StatusMethodNotAllowed, devicePageData{Message: "Use GET or POST."})
	}
}

func renderDevicePage(w http.ResponseWriter, status int, data devicePageData) {
	renderPage(w, status, "device", data)
}

// newUserCode draws userCodeLength letters of userCodeAlphabet uniformly,
// rejecting bytes that would bias the modulo.
func newUserCode() string {
	const limit = 256 - 256%len(userCodeAlphabet)
	code := make([]byte, 0, userCodeLength)
	buf := make([]byte, 2*userCodeLength)
	for len(code) < userCodeLength {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails
		for _, b := range buf {
			if int(b) < limit && len(code) < userCodeLength {
				code = append(code, userCodeAlphabet[int(b)%len(userCodeAlphabet)])
			}
		}
	}
	return string(code)
}

// normalizeUserCode is what the user typed, upper-cased, without the dash,
// spaces or anything else outside the alphabet (RFC 8628 §6.1).
func normalizeUserCode(in string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(userCodeAlphabet, r) {
			return r
		}
		return -1
	}, strings.ToUpper(in))
}

// displayUserCode shows a code as XXXX-XXXX, easier to read and type.
func displayUserCode(code string) string {
	return code[:userCodeLength/2] + "-" + code[userCodeLength/2:]
}

// wholeSeconds rounds d up to whole seconds, so a short test setting is never
// reported as zero; a zero or negative d is 0.
func wholeSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
