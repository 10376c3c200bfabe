"""The admin's loop: what members asked (the store, privacy), and turning it into content
(review, content editing and health, the admin desk behind /stats, /unanswered, /reload)."""
