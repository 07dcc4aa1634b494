// The .NET startup hook entry (DOTNET_STARTUP_HOOKS): the runtime requires a type named StartupHook in the global
// namespace. It only acts for the killed-process storage test; see OpmlNode.Tests.Storage.KilledProcessChild.
#pragma warning disable CA1050
internal static class StartupHook
{
    public static void Initialize() => OpmlNode.Tests.Storage.KilledProcessChild.RunIfRequested();
}
