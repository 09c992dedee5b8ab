// Package china holds what the fakes of Chinese services share: the time
// zone their timestamps and days are in. The gateway's own is
// notify.Beijing; the fakes do not import the gateway.
package china

import "time"

// Beijing is China's time zone, UTC+8 all year.
var Beijing = time.FixedZone("CST", 8*3600)
