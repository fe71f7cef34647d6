package pluginproc

import "strings"

// LogLevelVariables names the variables that set the level of each logger
// the plugin SDK gives a provider: terraform-plugin-go's root and protocol
// loggers, terraform-plugin-framework's, and the provider's own
// (TF_LOG_PROVIDER_ and the name part of its address, upper-cased).
func LogLevelVariables(provider string) []string {
	return []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_" + strings.ToUpper(provider)}
}

// UnreadLogLevels returns the variables that turn the provider's loggers
// off when nothing in environ, the environment the CLI passed on, asks for
// logs; it returns none when something does.
//
// Left unset, those loggers write every line down to TRACE to the CLI,
// which parses each one and discards it unless TF_LOG, TF_LOG_PROVIDER or
// another TF_LOG variable is set. That was half of the provider's CPU time
// in an apply. Any TF_LOG variable set to anything but "off" leaves every
// level as the SDK sets it, so TF_LOG=trace shows what it always showed.
func UnreadLogLevels(environ []string, provider string) []string {
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_LOG") && value != "" && !strings.EqualFold(value, "off") {
			return nil
		}
	}
	return LogLevelVariables(provider)
}
