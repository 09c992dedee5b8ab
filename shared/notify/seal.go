package notify

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
)

// A code whose scene escalates (CodeTemplate.EscalateAfter) must be sent a
// second time with the same digits, so it is kept sealed, not only hashed,
// until it is escalated, used, void or replaced: AES-256-GCM under a key
// derived from each code secret. docs/codes.md says what is kept when.

// codeSealLabel separates the sealing key from the hashes and any other use
// of the secret, and names the sealed layout, should it ever change.
const codeSealLabel = "notify code seal v1"

// sealVersion is the first byte of a sealed code: its layout, version 1
// followed by the GCM nonce and the ciphertext with its tag.
const sealVersion = 1

// errUnsealable is the one error Open gives: which secret, field or byte
// was wrong is not said.
var errUnsealable = errors.New("open a sealed code: not sealed for this key and message under any secret")

// sealAEAD returns AES-256-GCM under the key HMAC-SHA256(secret, label).
func sealAEAD(secret Secret) cipher.AEAD {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(codeSealLabel))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err) // AES always has a 16-byte block
	}
	return aead
}

// sealData is the additional data a sealed code is bound to: its key and
// the message that first carried it, each as its length (4 bytes,
// big-endian) then its bytes, as HashCode lays out its fields.
func sealData(key CodeKey, messageID string) []byte {
	var b []byte
	for _, f := range [...]string{codeSealLabel, key.GroupID, key.PhoneNumber, key.Scene, messageID} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// Seal encrypts code under the current secret, bound to key and to
// messageID, the message that first carries it: only Open with the same
// key and message id returns it.
func (r CodeKeyring) Seal(key CodeKey, messageID string, code Code) []byte {
	aead := sealAEAD(r.secrets[0])
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(code)+aead.Overhead())
	out[0] = sealVersion
	_, _ = rand.Read(out[1:]) // never fails (crypto/rand, Go 1.24 on)
	return aead.Seal(out, out[1:], []byte(code), sealData(key, messageID))
}

// Open returns the code Seal sealed for key and messageID under any of the
// keyring's secrets. Anything else, a code sealed for another key or
// message, under a secret retired since, or altered, is one error that
// says no more.
func (r CodeKeyring) Open(key CodeKey, messageID string, sealed []byte) (Code, error) {
	ad := sealData(key, messageID)
	for _, s := range r.secrets {
		aead := sealAEAD(s)
		n := 1 + aead.NonceSize()
		if len(sealed) < n+aead.Overhead() || sealed[0] != sealVersion {
			return "", errUnsealable
		}
		if code, err := aead.Open(nil, sealed[1:n], sealed[n:], ad); err == nil {
			return Code(code), nil
		}
	}
	return "", errUnsealable
}
