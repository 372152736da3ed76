# The headline script: quarantine what the validation finds suspicious,
# route the rest of the calendar mail by iTIP method, keep everything else.
require ["imip", "fileinto", "variables", "mailbox"];

if imip :suspicious {
    fileinto :create "Junk/Invitations";
    stop;
}
if imip :matches :method "*" {
    fileinto :create "Calendar/${1}";
}
