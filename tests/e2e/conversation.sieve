# The user's script of the processcalendar conversation (radicale.sh):
# every scheduling message goes to the calendar store, suspicious or not,
# so that the action itself says what it refused and why (the validation
# in front of it refuses suspicious mail with no_action). What changed the
# calendar stays in INBOX (the implicit keep, which the action does not
# cancel); what did not is filed apart, with the reason in a header.
require ["imip", "processcalendar", "variables", "fileinto", "mailbox",
         "editheader"];

if imip :present {
    processcalendar :outcome "outcome" :reason "reason";
    # One key per string test: sieve-rs 0.7.3's string test decides on the
    # last key of a key list alone.
    if not anyof (string "${outcome}" "added", string "${outcome}" "updated") {
        addheader "X-Calendar-Outcome" "${outcome}: ${reason}";
        fileinto :create "Calendar/Unprocessed";
    }
}
