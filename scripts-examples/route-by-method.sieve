# Personal script: one folder per iTIP method, created on first use:
# Calendar/REQUEST, Calendar/REPLY, Calendar/CANCEL, ...
# Only the methods named here make a folder: the METHOD comes from the
# sender, and a sender must not choose which mailboxes exist. Scheduling
# mail with any other method (an X- method, or none) stays in the inbox.
require ["imip", "fileinto", "variables", "mailbox"];

if imip :method ["PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL",
                 "REFRESH", "COUNTER", "DECLINECOUNTER"] {
    if imip :matches :method "*" {
        fileinto :create "Calendar/${1}";
        stop;
    }
}
