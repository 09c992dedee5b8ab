package cloopensms

// Name is the provider name records give for messages sent through
// Ronglian (Cloopen) TemplateSMS.
const Name = "cloopen"
