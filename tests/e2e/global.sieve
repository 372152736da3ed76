# The administrator's script, run before the user's (deliver --before):
# quarantine the scheduling mail the validation finds suspicious, and stamp
# every other calendar message with its risk score.
require ["imip", "fileinto", "editheader", "variables", "mailbox"];

if imip :suspicious {
    fileinto :create "Junk/Invitations";
    stop;
}

if imip :matches :risk "*" {
    addheader "X-iMIP-Risk" "${1}";
}
