"""The platform-neutral core: content, red-flag screening, matching, replies. No platform imports."""
