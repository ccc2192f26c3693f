DROP FUNCTION castellan_audit_seal(uuid, uuid, text, text);
