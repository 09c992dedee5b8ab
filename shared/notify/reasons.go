package notify

// The reasons: the stable, machine-readable Reason of an *Error, which the
// edge sends back as the reply's Reason. Each is named once, here; code
// compares an error's Kind, or these names, never string literals.
// README's error table lists them all (reasons_test.go checks it).

// The request itself, before any field is read.
const (
	ReasonMethodNotAllowed     = "method_not_allowed"     // the route does not take the request's method
	ReasonUnsupportedMediaType = "unsupported_media_type" // Content-Type is not JSON (or a form, where one is taken)
	ReasonBodyTooLarge         = "body_too_large"         // the body is over the route's size limit
	ReasonBodyTooSlow          = "body_too_slow"          // the body came too slowly to be read in time
	ReasonUnreadableBody       = "unreadable_body"        // the body could not be read
	ReasonEmptyBody            = "empty_body"             // the body is empty where a JSON object is needed
	ReasonInvalidJSON          = "invalid_json"           // the body, or a field holding JSON, is not a valid JSON object
	ReasonInvalidForm          = "invalid_form"           // the form body is malformed
	ReasonInvalidQuery         = "invalid_query"          // the query string is malformed
	ReasonTooManyFields        = "too_many_fields"        // the body has more fields than any request has
	ReasonDuplicateField       = "duplicate_field"        // a field is named twice (names match without regard to case)
	ReasonNoSuchRoute          = "no_such_route"          // no route has the request's path
	ReasonBusy                 = "busy"                   // the gateway is busy with other large requests
	ReasonInvalidReport        = "invalid_receipt"        // a provider's report push is malformed
)

// Idempotency-Key.
const (
	ReasonInvalidIdempotencyKey = "invalid_idempotency_key" // the key is not 1 to 255 printable ASCII characters
	ReasonIdempotencyKeyReused  = "idempotency_key_reused"  // the key was first used with another request
	ReasonIdempotencyInFlight   = "idempotency_in_flight"   // the first request with the key is still being handled
)

// A request field; the *Error's Field names it.
const (
	ReasonMissingField        = "missing_field"         // a required field is missing or empty
	ReasonInvalidField        = "invalid_field"         // a field has the wrong type or form
	ReasonInvalidPhone        = "invalid_phone"         // a number is not a phone number the channel reaches
	ReasonUnsupportedNumber   = "unsupported_number"    // the provider does not send to the number's region
	ReasonMixedRegions        = "mixed_regions"         // one request mixes mainland and international numbers
	ReasonTooMany             = "too_many"              // a list holds more items than allowed
	ReasonTooLong             = "too_long"              // a field is longer than allowed
	ReasonOutOfRange          = "out_of_range"          // a number is outside its allowed range
	ReasonInvalidAddress      = "invalid_address"       // a mail address does not parse
	ReasonHeaderInjection     = "header_injection"      // a mail header field holds a line break
	ReasonInvalidBase64       = "invalid_base64"        // an attachment's content is not base64
	ReasonAttachmentsTooLarge = "attachments_too_large" // a mail's attachments are over the size limit
	ReasonInvalidCode         = "invalid_code"          // a verification code is not the right number of digits
	ReasonNoProvider          = "no_provider"           // no configured provider has the template
	ReasonMissingParameter    = "missing_parameter"     // the template parameters lack a variable of the template
	ReasonParameterTooLong    = "parameter_too_long"    // a template variable is longer than the template takes
	ReasonInvalidParameter    = "invalid_parameter"     // a template variable does not have the template's form
	ReasonUnknownParameter    = "unknown_parameter"     // a template variable is not one of the template's
)

// Who may send what.
const (
	ReasonUnknownGroup       = "unknown_group"         // no group has the GroupID
	ReasonMissingKey         = "missing_key"           // the request carries no API key
	ReasonWrongKey           = "wrong_key"             // the API key is not the group's
	ReasonChannelNotAllowed  = "channel_not_allowed"   // the group may not use the channel
	ReasonSignNameNotAllowed = "sign_name_not_allowed" // the group may not use the sign name
	ReasonTemplateNotAllowed = "template_not_allowed"  // the group may not use the template
	ReasonDomainNotAllowed   = "domain_not_allowed"    // the group may not mail the address's domain
)

// Records and the store.
const (
	ReasonCodesNotConfigured    = "codes_not_configured"    // the gateway has no code store or code secret
	ReasonBalanceTooLow         = "balance_too_low"         // a SaaS station's balance cannot pay for the send
	ReasonDealCodeReused        = "deal_code_reused"        // a recharge's deal code was recorded with other values
	ReasonTaskStarted           = "task_started"            // the SaaS task was started since it was read
	ReasonDuplicateQueueMessage = "duplicate_queue_message" // another record holds the message's queue key
	ReasonDuplicateID           = "duplicate_id"            // another record has the message's id
	ReasonInFlight              = "in_flight"               // the same message is being sent right now
	ReasonNotFound              = "not_found"               // no such record (message, task, combo, code or SaaS group)
	ReasonStoreUnavailable      = "store_unavailable"       // the store did not answer
	ReasonInternalError         = "internal_error"          // a bug or an unexpected condition on our side
)

// Limits.
const (
	ReasonRateLimited = "rate_limited" // a number is over one of its send limits
	ReasonDailyCap    = "daily_cap"    // the group reached its daily cap of recipients
	ReasonCooldown    = "cooldown"     // a code for the number and scene was sent within the cooldown
)

// Providers: the reason of a provider's error that carries none of its own
// is named for its Kind.
const (
	ReasonProviderRejected       = "provider_rejected"        // the provider refused the message for good
	ReasonProviderThrottled      = "provider_throttled"       // every provider's flow control refused it
	ReasonProviderAccount        = "provider_account"         // the provider account needs an operator
	ReasonProviderUnavailable    = "provider_unavailable"     // no provider took the message; nothing was sent
	ReasonProviderOutcomeUnknown = "provider_outcome_unknown" // the provider did not answer in time; it may have sent it
	ReasonRedeliveredInDoubt     = "redelivered_in_doubt"     // a redelivered message's first attempt may have sent it
)

// A code that did not verify: CodeResult.Reason. A code not found is
// ReasonNotFound.
const (
	CodeMismatch         = "mismatch"          // not the code; an attempt was spent
	CodeExpired          = "expired"           // the code's time to live is over
	CodeAttemptsExceeded = "attempts_exceeded" // the code took its last wrong guess and is void
	CodeNotFound         = ReasonNotFound      // no code was sent, or it was used or revoked
)

// ReasonStatus is a reason and the HTTP status of the replies that give it
// on the gateway's JSON routes (the Alidayu routes answer 200 with
// Alidayu's codes).
type ReasonStatus struct {
	Reason string
	Status int // 0 where it depends on the route or the trigger
}

// Reasons returns every reason, each once, with its status.
func Reasons() []ReasonStatus {
	return []ReasonStatus{
		{ReasonMethodNotAllowed, 405},
		{ReasonUnsupportedMediaType, 415},
		{ReasonBodyTooLarge, 413},
		{ReasonBodyTooSlow, 408},
		{ReasonUnreadableBody, 400},
		{ReasonEmptyBody, 400},
		{ReasonInvalidJSON, 400},
		{ReasonInvalidForm, 400},
		{ReasonInvalidQuery, 400},
		{ReasonTooManyFields, 400},
		{ReasonDuplicateField, 400},
		{ReasonNoSuchRoute, 404},
		{ReasonBusy, 503},
		{ReasonInvalidReport, 400},

		{ReasonInvalidIdempotencyKey, 400},
		{ReasonIdempotencyKeyReused, 422},
		{ReasonIdempotencyInFlight, 409},

		{ReasonMissingField, 400},
		{ReasonInvalidField, 400},
		{ReasonInvalidPhone, 400},
		{ReasonUnsupportedNumber, 400},
		{ReasonMixedRegions, 400},
		{ReasonTooMany, 400},
		{ReasonTooLong, 400},
		{ReasonOutOfRange, 400},
		{ReasonInvalidAddress, 400},
		{ReasonHeaderInjection, 400},
		{ReasonInvalidBase64, 400},
		{ReasonAttachmentsTooLarge, 413},
		{ReasonInvalidCode, 400},
		{ReasonNoProvider, 400},
		{ReasonMissingParameter, 400},
		{ReasonParameterTooLong, 400},
		{ReasonInvalidParameter, 400},
		{ReasonUnknownParameter, 400},

		{ReasonUnknownGroup, 401},
		{ReasonMissingKey, 401},
		{ReasonWrongKey, 401},
		{ReasonChannelNotAllowed, 403},
		{ReasonSignNameNotAllowed, 403},
		{ReasonTemplateNotAllowed, 403},
		{ReasonDomainNotAllowed, 403},
		{ReasonCodesNotConfigured, 503},
		{ReasonBalanceTooLow, 402},
		{ReasonDealCodeReused, 409},
		{ReasonTaskStarted, 409},
		{ReasonDuplicateQueueMessage, 409},
		{ReasonDuplicateID, 500},
		{ReasonInFlight, 409},
		{ReasonNotFound, 0}, // 404 on the SaaS routes, 400 from a code verify
		{ReasonStoreUnavailable, 503},
		{ReasonInternalError, 500},

		{ReasonRateLimited, 429},
		{ReasonDailyCap, 429},
		{ReasonCooldown, 429},

		{ReasonProviderRejected, 400},
		{ReasonProviderThrottled, 429},
		{ReasonProviderAccount, 502},
		{ReasonProviderUnavailable, 502},
		{ReasonProviderOutcomeUnknown, 0}, // 504, and 202 to a queue, which must not redeliver it
		{ReasonRedeliveredInDoubt, 0},     // as ReasonProviderOutcomeUnknown

		{CodeMismatch, 400},
		{CodeExpired, 400},
		{CodeAttemptsExceeded, 429},
	}
}
