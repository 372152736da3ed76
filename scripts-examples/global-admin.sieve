# Global filter, run by the administrator before every user's script.
# Quarantines scheduling mail the validation finds suspicious and stamps
# every calendar message with its risk score so users can sort on it.
require ["imip", "fileinto", "mailbox", "editheader", "relational",
         "comparator-i;ascii-numeric", "variables", "imap4flags"];

if imip :matches :risk "*" {
    addheader "X-iMIP-Risk" "${1}";
}

if imip :suspicious {
    fileinto :create "Junk/Invitations";
    stop;
}

# Not suspicious yet, but worth a look: flag it.
if imip :value "ge" :comparator "i;ascii-numeric" :risk "20" {
    addflag "$CalendarReview";
}
