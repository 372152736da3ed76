# The headline script: quarantine what the validation finds suspicious,
# route the rest of the calendar mail by iTIP method, keep everything else.
# Only the iTIP methods named here make a folder (the METHOD is the
# sender's to choose); any other calendar mail stays in the inbox.
require ["imip", "fileinto", "variables", "mailbox"];

if imip :suspicious {
    fileinto :create "Junk/Invitations";
    stop;
}
if imip :method ["PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL",
                 "REFRESH", "COUNTER", "DECLINECOUNTER"] {
    if imip :matches :method "*" {
        fileinto :create "Calendar/${1}";
    }
}
