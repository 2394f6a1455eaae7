// Package fmea will own the FMEA worksheet: its structure after the
// AIAG & VDA handbook, the Action Priority table, the rules that turn run
// evidence into proposed re-ratings, and the renderers (Markdown, CSV,
// HTML).
//
// It is empty today: the ratings (severity, occurrence, detection) are
// already part of the language (package experiments) and recorded with
// every run, and the worksheet itself is planned work. It will not run
// experiments or judge them; it reads their conclusions.
package fmea
