// Hashes and MACs for the whole program; the only folder that touches OpenSSL's libcrypto.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace amstream::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// SHA-256 of `data`.
Sha256Digest Sha256(std::string_view data);

// HMAC-SHA256 of `data` under `key`.
Sha256Digest HmacSha256(std::string_view key, std::string_view data);

// Lower-case hexadecimal of a digest.
std::string Hex(const Sha256Digest& digest);

// The digest's bytes as a string, for chaining HMACs (SigV4's key derivation).
std::string AsBytes(const Sha256Digest& digest);

}  // namespace amstream::crypto
