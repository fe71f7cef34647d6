//go:build !race

package oauthclient

const raceEnabled = false
