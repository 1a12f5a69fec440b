// Node-RED's settings for the benchmark's peer: no editor, no credentials file, and the
// process object handed to the function node so that it can report its own CPU time.
module.exports = {
    uiPort: Number(process.env.UI_PORT || 0),
    httpAdminRoot: false,
    httpNodeRoot: false,
    credentialSecret: false,
    flowFilePretty: false,
    functionGlobalContext: { proc: process },
    logging: { console: { level: "info", metrics: false, audit: false } },
    editorTheme: { tours: false },
};
