-- Statements used while validating a batch (on a private in-memory connection).

-- name: hmac_sha256
-- HMAC-SHA-256 (RFC 2104) of each MRN: sha256(opad || sha256(ipad || mrn)), hex. Row order is kept.
select case when mrn is null then null
            else sha256($opad || unhex(sha256($ipad || encode(mrn)))) end as patient_key
from _mrns;
