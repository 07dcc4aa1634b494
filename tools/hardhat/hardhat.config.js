// The default in-process network only: `node node_modules/hardhat/dist/src/cli.js node --port N` serves it on
// 127.0.0.1:N with chain id 31337 and anvil's dev accounts (the same mnemonic). OpmlNode.Tests/Hosting/HardhatNetwork.cs.
export default {};
