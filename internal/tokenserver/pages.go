package tokenserver

import (
	"html/template"
	"net/http"
)

// pages are the server's HTML pages: the consent page of the authorization
// endpoint and the device verification page. They share one look, and the
// elements a browser test clicks have ids: consent, allow and deny on the
// consent page; user_code, approve and deny on the device page. html/template
// escapes every value by context.
var pages = template.Must(template.New("pages").Parse(`
{{- define "head" -}}
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f5f6f8;color:#1f2328;margin:0}
main{max-width:26rem;margin:4rem auto;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1.5rem 2rem}
h1{font-size:1.3rem;margin:0 0 1rem}
.user{color:#57606a;font-size:.9rem}
.message{background:#f6f8fa;border-left:3px solid #0969da;padding:.5rem .75rem}
label{display:block;margin:1rem 0 .25rem}
input[type=text]{font:inherit;font-family:ui-monospace,monospace;letter-spacing:.1em;padding:.4rem;width:10rem}
.buttons{display:flex;gap:.75rem;margin-top:1.25rem}
button{font:inherit;padding:.45rem 1.25rem;border-radius:6px;border:1px solid #d0d7de;background:#f6f8fa;cursor:pointer}
button.primary{background:#1f883d;border-color:#1f883d;color:#fff}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{if .Message}}<p class="message" id="message">{{.Message}}</p>
{{end}}
{{- end}}

{{- define "foot" -}}
</main>
</body>
</html>
{{end}}

{{- define "consent" -}}
{{template "head" .}}
{{- if .Form -}}
<p class="user">Signed in as <strong id="user">{{if .User}}{{.User}}{{else}}(no configured user){{end}}</strong></p>
<p><strong id="client_id">{{.ClientID}}</strong> asks for access to:</p>
<ul id="scopes">
{{range .Scopes}}<li>{{.}}</li>
{{else}}<li>no particular scope</li>
{{end -}}
</ul>
<form id="consent" method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end -}}
<div class="buttons">
<button id="allow" class="primary" type="submit" name="{{.DecisionField}}" value="allow">Allow</button>
<button id="deny" type="submit" name="{{.DecisionField}}" value="deny">Deny</button>
</div>
</form>
{{end -}}
{{template "foot" .}}
{{- end}}

{{- define "device" -}}
{{template "head" .}}
{{- if .Form -}}
<form id="device" method="post">
<label for="user_code">Enter the code shown on your device</label>
<input type="text" id="user_code" name="user_code" value="{{.UserCode}}" autocomplete="off" autofocus>
<div class="buttons">
<button id="approve" class="primary" type="submit" name="action" value="approve">Approve</button>
<button id="deny" type="submit" name="action" value="deny">Deny</button>
</div>
</form>
{{end -}}
{{template "foot" .}}
{{- end}}
`))

// renderPage answers one of pages. The pages are never cached, never framed
// (a framed Allow button could be clickjacked) and never leak their query,
// which holds the state and the PKCE challenge, in a Referer.
func renderPage(w http.ResponseWriter, status int, name string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, data)
}
