-- Lua passdb of the mailwarden test lab (generated; see tests/lab/dovecot.py).
-- Only users matching username_filter (expired-*, tempfail-*) get here.
local users_dir = "@USERS_DIR@/"

local function stored_password(user)
  if string.find(user, "/", 1, true) then
    return nil
  end
  local file = io.open(users_dir .. user, "r")
  if file == nil then
    return nil
  end
  local line = file:read("*l") or ""
  file:close()
  return string.match(line, "^[^:]*:{PLAIN}([^:]*):")
end

function auth_password_verify(req, pass)
  local stored = stored_password(req.user)
  if stored == nil then
    return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, ""
  end
  if string.sub(req.user, 1, 9) == "tempfail-" then
    return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "lab: simulated password backend outage"
  end
  if pass ~= stored then
    return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, ""
  end
  return dovecot.auth.PASSDB_RESULT_PASS_EXPIRED, ""
end
