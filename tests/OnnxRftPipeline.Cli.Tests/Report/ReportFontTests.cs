using OnnxRftPipeline.Cli.Report;

namespace OnnxRftPipeline.Cli.Tests.Report;

public sealed class ReportFontTests
{
    [Fact]
    public void EmbeddedFont_ResolvesWithGlyphsForPlotText()
    {
        ReportFont.EnsureRegistered();

        var regular = ScottPlot.Fonts.GetTypeface(ReportFont.Name, bold: false, italic: false);
        var bold = ScottPlot.Fonts.GetTypeface(ReportFont.Name, bold: true, italic: false);

        Assert.Equal("DejaVu Sans", regular.FamilyName);
        Assert.True(bold.IsBold);
        Assert.True(regular.ContainsGlyphs("Probe SFT loss 0.1234 % pass@8 ±≤≥"));
        Assert.False(regular.ContainsGlyphs("\u4e2d"));   // the subset really is a subset: a CJK glyph is absent
    }
}
