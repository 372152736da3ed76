# The user's own script: replies and cancellations apart, every other
# scheduling message in one folder per iTIP method, created on first use.
require ["imip", "fileinto", "variables", "mailbox"];

if imip :method "REPLY" {
    fileinto :create "Calendar/Replies";
    stop;
}

if imip :method "CANCEL" {
    fileinto :create "Calendar/Cancelled";
    stop;
}

if imip :matches :method "*" {
    fileinto :create "Calendar/${1}";
    stop;
}
