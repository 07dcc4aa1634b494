using OpmlNode.Cli;

return await CommandLine.RunAsync(args);
