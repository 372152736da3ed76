# Personal script: one folder per iTIP method, created on first use:
# Calendar/REQUEST, Calendar/REPLY, Calendar/CANCEL, ...
require ["imip", "fileinto", "variables", "mailbox"];

if imip :matches :method "*" {
    fileinto :create "Calendar/${1}";
    stop;
}
