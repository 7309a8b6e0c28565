/* (iii) libxml2 xmlTextReader: a bare walk, the baseline for in_xml.c.
 * Reads every node, touching each element's name and attributes and each
 * text node's value. usage: xml_walk FILE */
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: xml_walk FILE\n");
        return 2;
    }
    xmlTextReaderPtr r = xmlReaderForFile(argv[1], NULL, XML_PARSE_NONET);
    if (!r) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 1;
    }
    unsigned long elements = 0, texts = 0, bytes = 0, attrs = 0;
    int ret;
    while ((ret = xmlTextReaderRead(r)) == 1) {
        int t = xmlTextReaderNodeType(r);
        if (t == XML_READER_TYPE_ELEMENT) {
            const xmlChar *n = xmlTextReaderConstName(r);
            elements++;
            bytes += n[0];
            if (xmlTextReaderHasAttributes(r))
                while (xmlTextReaderMoveToNextAttribute(r) == 1) {
                    attrs++;
                    bytes += strlen((const char *)xmlTextReaderConstValue(r));
                }
        } else if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
                   t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
            texts++;
            bytes += strlen((const char *)xmlTextReaderConstValue(r));
        }
    }
    xmlFreeTextReader(r);
    if (ret < 0) {
        fprintf(stderr, "parse error\n");
        return 1;
    }
    fprintf(stderr, "elements=%lu attrs=%lu texts=%lu textbytes=%lu\n",
            elements, attrs, texts, bytes);
    return 0;
}
