using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace OnnxRftPipeline.Cli.Report;

/// <summary>
/// Plots draw their text with a font embedded in this assembly (DejaVu Sans subset, see Fonts/LICENSE-DejaVu.txt).
/// Why: SkiaSharp's NoDependencies native build finds fonts only by scanning font folders; a fresh Debian
/// without font packages has none. With this font, labels render even with /usr/share/fonts empty (checked by hand).
/// </summary>
public static class ReportFont
{
    /// <summary>Font name the plots ask ScottPlot for; answered only by our resolver.</summary>
    public const string Name = "RftReportSans";

    static readonly Lazy<bool> Registered = new(() =>
    {
        var regular = Load("DejaVuSans-subset.ttf");
        var bold = Load("DejaVuSans-Bold-subset.ttf");
        Fonts.FontResolvers.Add(new EmbeddedResolver(regular, bold));
        return true;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Registers the embedded font with ScottPlot once per process.</summary>
    public static void EnsureRegistered() => _ = Registered.Value;

    static byte[] Load(string file)
    {
        var asm = typeof(ReportFont).Assembly;
        var resource = asm.GetManifestResourceNames().SingleOrDefault(n => n.EndsWith("." + file, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"embedded font {file} is missing from {asm.GetName().Name}");
        using var s = asm.GetManifestResourceStream(resource)!;
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    sealed class EmbeddedResolver(byte[] regular, byte[] bold) : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool isBold, bool isItalic) =>
            fontName == Name ? SKTypeface.FromData(SKData.CreateCopy(isBold ? bold : regular)) : null;

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            CreateTypeface(fontName, weight >= FontWeight.SemiBold, slant != FontSlant.Upright);
    }
}
