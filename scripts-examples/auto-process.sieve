# Act on calendar mail behind the validation (RFC 9671 processcalendar):
# quarantine what the validation finds suspicious, let the calendar store
# take the rest, and file each message by what happened to it. A message
# the action does not change stays visible, with the reason in a header.
require ["imip", "processcalendar", "variables", "fileinto", "mailbox",
         "imap4flags", "editheader"];

if imip :suspicious {
    fileinto :create "Junk/Invitations";
    stop;
}
if imip :present {
    processcalendar :outcome "outcome" :reason "reason";
    if string "${outcome}" "error" {
        addheader "X-Calendar-Problem" "${reason}";
        fileinto :create "Calendar/Problems";
    } elsif string "${outcome}" "no_action" {
        addheader "X-Calendar-Unchanged" "${reason}";
        fileinto :create "Calendar/Unprocessed";
    } else {
        # added or updated: the calendar has it now.
        fileinto :create :flags "\\Seen" "Calendar/Processed";
    }
}
