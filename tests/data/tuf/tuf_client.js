// A standard TUF client (tuf-js, the client sigstore-js uses) run against a
// repository: refresh from the trusted root.json in METADATA_DIR (which also
// keeps what it trusted, so a later rollback is refused), then download and
// verify each named target into TARGET_DIR. Prints "<name> <length>" per
// target; on any failure prints "tuf-js error: <class>: <message>" and exits 1.
// Usage: NODE_PATH=<tuf-js>/node_modules node tuf_client.js METADATA_URL
//        TARGETS_URL METADATA_DIR TARGET_DIR TARGET...
const fs = require('fs');
const path = require('path');
const { Updater } = require('tuf-js');

async function main() {
    const [metadataBaseUrl, targetBaseUrl, metadataDir, targetDir, ...targets] =
        process.argv.slice(2);
    const updater = new Updater({
        metadataBaseUrl,
        targetBaseUrl,
        metadataDir,
        targetDir,
        config: { fetchRetries: 0, fetchTimeout: 20000 },
    });
    await updater.refresh();
    for (const name of targets) {
        const info = await updater.getTargetInfo(name);
        if (!info) {
            throw new Error(`no target ${name}`);
        }
        const file = await updater.downloadTarget(info, path.join(targetDir, name));
        console.log(`${name} ${fs.statSync(file).size}`);
    }
}

main().catch((error) => {
    console.log(`tuf-js error: ${error.constructor.name}: ${error.message}`);
    process.exit(1);
});
