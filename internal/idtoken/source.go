package idtoken

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Kind names where the ID token comes from.
type Kind string

const (
	// GitHubActions asks the job's ID token endpoint for a token; GitHub
	// offers the endpoint only to jobs with `permissions: id-token: write`.
	GitHubActions Kind = "github_actions"
	// GitLabCI reads the environment variable Source.Name, which the job
	// declares under `id_tokens:` in .gitlab-ci.yml with the audience the
	// token server expects.
	GitLabCI Kind = "gitlab_ci"
	// HCPTerraform reads TFC_WORKLOAD_IDENTITY_TOKEN, or
	// TFC_WORKLOAD_IDENTITY_TOKEN_<Name> for a tagged token. HCP Terraform
	// sets them in a run when the workspace defines
	// TFC_WORKLOAD_IDENTITY_AUDIENCE (or TFC_WORKLOAD_IDENTITY_AUDIENCE_<Name>).
	HCPTerraform Kind = "hcp_terraform"
	// File reads the token from a file at every call, because the files
	// that hold such tokens (Kubernetes projected service account tokens,
	// for one) are rewritten as the token rotates.
	File Kind = "file"
)

// kinds is in the order Kinds reports, so that validators and generated
// documentation do not change from build to build.
var kinds = []Kind{GitHubActions, GitLabCI, HCPTerraform, File}

// Kinds returns the valid kinds as strings, in a stable order, for the
// provider's OneOf validator and its documentation.
func Kinds() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return out
}

// Source says where to obtain an ID token. Only the fields its Kind uses
// may be set, so that a setting that would be ignored is reported instead.
type Source struct {
	Kind Kind
	// Audience is the aud claim to ask GitHub Actions for. Other CI systems
	// fix the audience in their own configuration, so it is github_actions
	// only. Empty leaves GitHub's default (the repository owner's URL).
	Audience string
	// Name is the environment variable that holds the token for gitlab_ci
	// (required), and the optional tag of a tagged token for hcp_terraform.
	Name string
	// File is the path of the token file for kind file (required).
	File string
}

// identifier is what GitLab accepts as a variable name and HCP Terraform as
// a tag; anything else could not have been set by them.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// FieldError is a Source setting that Validate refuses. Field is the Source
// field in lower case ("kind", "audience", "name", "file"), which is also
// the name a configuration gives it, so that a caller can attach the
// message to the setting at fault.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "idtoken: " + e.Field + ": " + e.Msg }

// Validate reports the settings that are wrong whatever the environment,
// so that a plan can fail before a run needs the token. Every problem is
// reported at once, each as a *FieldError, joined with errors.Join.
func (s Source) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch s.Kind {
	case GitHubActions, GitLabCI, HCPTerraform, File:
	case "":
		add("kind", "is required; set it to one of %s", strings.Join(Kinds(), ", "))
		return errors.Join(errs...)
	default:
		add("kind", "%q is not a known kind; set it to one of %s", s.Kind, strings.Join(Kinds(), ", "))
		return errors.Join(errs...)
	}

	if s.Audience != "" && s.Kind != GitHubActions {
		add("audience", "applies to github_actions only; %s", audienceElsewhere[s.Kind])
	}

	switch s.Kind {
	case GitLabCI:
		switch {
		case s.Name == "":
			add("name", "is required for gitlab_ci; set it to the variable the job declares under id_tokens: in .gitlab-ci.yml")
		case !identifier.MatchString(s.Name):
			add("name", "%q is not a variable name GitLab accepts; use letters, digits and underscores, not starting with a digit", s.Name)
		}
	case HCPTerraform:
		if s.Name != "" && !identifier.MatchString(s.Name) {
			add("name", "%q is not a workload identity tag HCP Terraform accepts; use letters, digits and underscores, not starting with a digit, or leave it unset for the untagged token", s.Name)
		}
	default:
		if s.Name != "" {
			add("name", "applies to gitlab_ci and hcp_terraform only; remove it")
		}
	}

	if s.Kind == File {
		if s.File == "" {
			add("file", "is required for kind file; set it to the path of the token file")
		}
	} else if s.File != "" {
		add("file", "applies to kind file only; remove it")
	}
	return errors.Join(errs...)
}

// audienceElsewhere says where each kind that ignores Source.Audience takes
// its audience from instead.
var audienceElsewhere = map[Kind]string{
	GitLabCI:     "set aud under the variable's entry in id_tokens: in .gitlab-ci.yml instead",
	HCPTerraform: "set the workspace variable TFC_WORKLOAD_IDENTITY_AUDIENCE (or TFC_WORKLOAD_IDENTITY_AUDIENCE_<tag>) instead",
	File:         "the audience is fixed by whatever writes the file (for Kubernetes, the projected volume's audience); remove it",
}
