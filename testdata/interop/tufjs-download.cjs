// Downloads one target from a tufgit mirror with tuf-js, an independent TUF
// client, trusting the root.json already in METADATA_DIR.
// usage: node tufjs-download.cjs METADATA_URL TARGETS_URL METADATA_DIR TARGET_DIR TARGET_PATH
const { Updater } = require('tuf-js');

async function main() {
  const [metadataBaseUrl, targetBaseUrl, metadataDir, targetDir, targetPath] = process.argv.slice(2);
  const updater = new Updater({ metadataBaseUrl, targetBaseUrl, metadataDir, targetDir });
  await updater.refresh();
  const info = await updater.getTargetInfo(targetPath);
  if (!info) {
    throw new Error(`no target ${targetPath}`);
  }
  const path = await updater.downloadTarget(info);
  console.log(path);
}

main().catch((err) => {
  console.error(`tuf-js: ${err.message || err}`);
  process.exit(1);
});
