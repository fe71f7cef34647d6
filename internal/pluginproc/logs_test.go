package pluginproc

import (
	"slices"
	"testing"
)

func TestUnreadLogLevels(t *testing.T) {
	for _, tc := range []struct {
		name    string
		environ []string
		silence bool
	}{
		{"no TF_LOG variable", []string{"PATH=/bin", "HOME=/root"}, true},
		{"TF_LOG empty", []string{"TF_LOG="}, true},
		{"TF_LOG off", []string{"TF_LOG=off", "TF_LOG_PROVIDER=OFF"}, true},
		{"TF_LOG", []string{"TF_LOG=trace"}, false},
		{"TF_LOG_PROVIDER", []string{"TF_LOG_PROVIDER=debug"}, false},
		{"TF_LOG_CORE", []string{"TF_LOG_CORE=info"}, false},
		{"TF_LOG_PATH alone", []string{"TF_LOG_PATH=/tmp/tf.log"}, false},
		{"the provider's own variable", []string{"TF_LOG_PROVIDER_OAUTH2=trace"}, false},
		{"the framework's variable", []string{"TF_LOG_SDK_FRAMEWORK=debug"}, false},
		{"off beside trace", []string{"TF_LOG=off", "TF_LOG_PROVIDER=trace"}, false},
		{"a name that only contains TF_LOG", []string{"MY_TF_LOG=trace"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := UnreadLogLevels(tc.environ, "oauth2")
			if tc.silence && !slices.Equal(got, LogLevelVariables("oauth2")) {
				t.Errorf("UnreadLogLevels(%q) = %q, want every level variable %q", tc.environ, got, LogLevelVariables("oauth2"))
			}
			if !tc.silence && got != nil {
				t.Errorf("UnreadLogLevels(%q) = %q, want none: the environment asks for logs", tc.environ, got)
			}
		})
	}
}

func TestLogLevelVariables(t *testing.T) {
	want := []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_HTTP"}
	if got := LogLevelVariables("http"); !slices.Equal(got, want) {
		t.Errorf("LogLevelVariables(\"http\") = %q, want %q", got, want)
	}
}
